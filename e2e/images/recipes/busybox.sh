# coxswain/busybox: static busybox with every applet (sh, httpd, nc, wget, sleep, ...) linked in /bin.
IMAGE=coxswain/busybox
CHANGES=('ENV PATH=/bin:/usr/bin:/sbin' 'CMD ["sh"]')
assemble() {
  local rootfs="$1"
  install_busybox "$rootfs"
  mkdir -p "$rootfs/www"
  echo 'coxswain busybox' >"$rootfs/www/index.html"
}
