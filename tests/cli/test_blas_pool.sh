#!/bin/sh
# test_blas_pool.sh: mqlcal stops OpenBLAS's worker pool before any work (src/cli/main.c): a
# running mqlcal has no more threads than one started with OPENBLAS_NUM_THREADS=1, where OpenBLAS
# starts none. The run is held while it waits for its standard input (a named pipe kept open),
# and its threads are counted from /proc. On a one-core machine OpenBLAS starts no pool either
# way, so the counts agree there without the stop; on two or more cores they differ without it.
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

if [ -d /proc/self/task ]; then
    with=$(threads MQLCAL_NO_CACHE=1)
    without=$(threads MQLCAL_NO_CACHE=1 OPENBLAS_NUM_THREADS=1)
    check blas_pool_counted [ "$with,$without" = "${with#none},${without#none}" ]
    check blas_pool_stopped [ "$with" = "$without" ]
else
    echo "ok blas_pool_counted # skip: no /proc"
    echo "ok blas_pool_stopped # skip: no /proc"
fi
