# coxswain/redis: redis-server and redis-cli with their shared libraries, busybox for a shell, and an
# entrypoint that plays the seed's two images: a master by default; a replica (REDIS_ROLE=replica or
# first argument `replica`) follows the master service found in the seed-era environment variables
# (REDIS_MASTER_SERVICE_HOST/PORT or REDISMASTER_SERVICE_HOST/PORT), like brendanburns/redis-slave.
# coxswain/redis-slave is the same image with REDIS_ROLE=replica baked in (see redis-slave.sh).
IMAGE=coxswain/redis
# Also tagged under the slides' name, so examples/seed-guestbook/redis-master.json runs as printed.
ALIASES=(dockerfile/redis)
CHANGES=('ENV PATH=/usr/local/bin:/usr/bin:/bin' 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' 'EXPOSE 6379')
assemble() {
  assemble_redis "$1"
}

assemble_redis() {
  local rootfs="$1"
  install_busybox "$rootfs"
  # redis picks its mode from argv[0], so the binary must be called redis-server.
  copy_with_libs "$rootfs" "$(readlink -f "$(command -v redis-server)")" /usr/bin/redis-server
  copy_with_libs "$rootfs" "$(readlink -f "$(command -v redis-cli)")" /usr/bin/redis-cli
  mkdir -p "$rootfs/data" "$rootfs/usr/local/bin"
  cat >"$rootfs/usr/local/bin/redis-entrypoint" <<'SCRIPT'
#!/bin/sh
role="${REDIS_ROLE:-master}"
case "$1" in
  replica|slave) role=replica; shift ;;
  master) shift ;;
esac
# Reachable from other pods (no protected mode), nothing persisted, replicas synced at once.
set -- --protected-mode no --save '' --appendonly no --repl-diskless-sync-delay 0 --dir /data "$@"
if [ "$role" = replica ]; then
  host="${REDIS_MASTER_SERVICE_HOST:-${REDISMASTER_SERVICE_HOST:-}}"
  port="${REDIS_MASTER_SERVICE_PORT:-${REDISMASTER_SERVICE_PORT:-6379}}"
  if [ -n "$host" ]; then
    set -- "$@" --replicaof "$host" "$port"
  else
    echo "redis-entrypoint: replica without REDIS_MASTER_SERVICE_HOST or REDISMASTER_SERVICE_HOST; running standalone" >&2
  fi
fi
exec /usr/bin/redis-server "$@"
SCRIPT
  chmod 755 "$rootfs/usr/local/bin/redis-entrypoint"
}
