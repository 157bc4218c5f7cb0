# shellcheck shell=bash
# Sourced by the test runners: a private PostgreSQL cluster in a temp dir under /tmp (socket
# inside it, no TCP, fsync off: it is thrown away), stopped and removed when the script exits.
#
#   start_throwaway_cluster PREFIX     sets CLUSTER_DIR, DATA, AS_PG and exports PGHOST/PGUSER/PGPORT
#
# Expects PGBIN and the caller's log/die functions. PGRATCHET_KEEP_CLUSTER=1 keeps the dir.
# Postgres refuses to run as root: when uid is 0 the cluster belongs to the postgres OS user.

# shellcheck disable=SC2317  # reached through the EXIT trap
_stop_throwaway_cluster() {
    local rc=$?
    if [[ -f $DATA/postmaster.pid ]]; then
        "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1
    fi
    if [[ ${PGRATCHET_KEEP_CLUSTER:-0} == 1 ]]; then
        log "kept cluster dir $CLUSTER_DIR"
    else
        rm -rf "$CLUSTER_DIR"
    fi
    exit "$rc"
}

start_throwaway_cluster() { # start_throwaway_cluster PREFIX
    CLUSTER_DIR=$(mktemp -d "/tmp/$1.XXXXXX")
    DATA="$CLUSTER_DIR/data"
    AS_PG=()
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$CLUSTER_DIR"
        AS_PG=(runuser -u postgres --)
    fi
    trap _stop_throwaway_cluster EXIT
    trap 'exit 130' INT TERM

    "${AS_PG[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$CLUSTER_DIR/initdb.log" 2>&1 || { cat "$CLUSTER_DIR/initdb.log" >&2; die "initdb failed"; }
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$CLUSTER_DIR' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null || { cat "$DATA/server.log" >&2; die "cluster did not start"; }

    export PGHOST="$CLUSTER_DIR" PGUSER=postgres PGPORT=5432
    unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
}
