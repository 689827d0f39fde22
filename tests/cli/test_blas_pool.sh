#!/bin/sh
# test_blas_pool.sh: mqlcal stops OpenBLAS's worker pool before any work (src/cli/main.c): a
# running mqlcal has no more threads than one started with OPENBLAS_NUM_THREADS=1, where OpenBLAS
# starts none. The run is held while it waits for its standard input (a named pipe kept open),
# and its threads are counted from /proc. On a one-core machine OpenBLAS starts no pool either
# way, so the counts agree there without the stop; on two or more cores they differ without it.
# Under a memory limit (ulimit -v or -d, or strict overcommit) the pool is left running, since
# stopping it joins a worker that may be retrying a refused allocation for ever (the hang is
# tested in test_reliability.sh's memory_limit cases): the check is skipped there.
. tests/cli/lib.sh

# threads ENV...: the thread count of `mqlcal inspect -` while it waits for its input
threads() {
    fifo=$TMP/in.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    env "$@" "$MQLCAL" inspect - <"$fifo" >/dev/null 2>&1 &
    pid=$!
    exec 3>"$fifo"                     # the writer end: the read blocks until it closes
    n=""
    for _ in $(seq 50); do             # up to 5 s for the reader to block on the pipe
        if grep -qs pipe_read /proc/"$pid"/task/*/wchan; then
            n=$(ls /proc/"$pid"/task | wc -l)
            break
        fi
        sleep 0.1
    done
    printf 'a,b\n1,2\n' >&3
    exec 3>&-
    wait "$pid"
    echo "${n:-none}"
}

overcommit=$(cat /proc/sys/vm/overcommit_memory 2>/dev/null || echo 2)
if [ ! -d /proc/self/task ]; then
    echo "ok blas_pool_counted # skip: no /proc"
    echo "ok blas_pool_stopped # skip: no /proc"
elif [ "$(ulimit -v)" != unlimited ] || [ "$(ulimit -d)" != unlimited ] || [ "$overcommit" = 2 ]; then
    echo "ok blas_pool_counted # skip: a memory limit is set"
    echo "ok blas_pool_stopped # skip: a memory limit is set"
else
    with=$(threads MQLCAL_NO_CACHE=1)
    without=$(threads MQLCAL_NO_CACHE=1 OPENBLAS_NUM_THREADS=1)
    check blas_pool_counted [ "$with,$without" = "${with#none},${without#none}" ]
    check blas_pool_stopped [ "$with" = "$without" ]
    # with a limit the pool stays (and the run still ends); one core has no pool to keep
    limited=$(ulimit -v 4000000; threads MQLCAL_NO_CACHE=1)
    if [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -gt 1 ]; then
        check blas_pool_kept_under_limit [ "$limited" != "$without" -a "$limited" != none ]
    else
        echo "ok blas_pool_kept_under_limit # skip: one core, no pool"
    fi
fi
