"""bench_sm_glm.py: statsmodels reference timing for scripts/bench: pandas.read_csv + GLM(Binomial)
fitted by IRLS on the numeric benchmark file (x1..xK, closed_won). Prints read/fit seconds and the
residual deviance so mqlcal's fit on the same file can be checked against it.
    python3 scripts/bench_sm_glm.py FILE
"""
import sys
import time

import pandas as pd
import statsmodels
import statsmodels.api as sm


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 scripts/bench_sm_glm.py FILE")
    t0 = time.perf_counter()
    d = pd.read_csv(sys.argv[1])
    t1 = time.perf_counter()
    y = d.pop("closed_won").to_numpy()
    x = sm.add_constant(d.to_numpy(dtype=float), prepend=True)
    m = sm.GLM(y, x, family=sm.families.Binomial()).fit(method="IRLS")
    t2 = time.perf_counter()
    print("statsmodels %s pandas %s: read %.2f s, GLM %.2f s, rows %d, iterations %d, "
          "deviance %.6f, intercept %.6f" % (statsmodels.__version__, pd.__version__, t1 - t0,
                                            t2 - t1, len(y), m.fit_history["iteration"],
                                            m.deviance, m.params[0]))


if __name__ == "__main__":
    main()
