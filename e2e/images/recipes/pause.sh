# coxswain/pause: the infra container that holds a pod's network namespace. As PID 1 it gets no
# default signal handling, so the script traps SIGTERM and exits 0 at once (a clean, fast stop).
IMAGE=coxswain/pause
CHANGES=('ENTRYPOINT ["/pause"]')
assemble() {
  local rootfs="$1"
  install_busybox "$rootfs"
  cat >"$rootfs/pause" <<'SCRIPT'
#!/bin/sh
trap 'exit 0' TERM INT
while :; do
  sleep 86400 &
  wait $!
done
SCRIPT
  chmod 755 "$rootfs/pause"
}
