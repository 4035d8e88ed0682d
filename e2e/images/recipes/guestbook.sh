# coxswain/guestbook:v1: the seed's guestbook frontend (brendanburns/php-redis) rebuilt small:
# busybox httpd serving the page (e2e/images/guestbook/index.html) and guestbook.php, a shell CGI
# script that talks to Redis with redis-cli — writes to the redismaster service, reads from the
# redisslave service (REDISMASTER_SERVICE_HOST/PORT, REDISSLAVE_SERVICE_HOST/PORT). Port 80.
# coxswain/guestbook:v2 (guestbook-v2.sh) is the same app marked v2, for rolling updates.
IMAGE=coxswain/guestbook:v1
ALIASES=(brendanburns/php-redis kubernetes/example-guestbook-php-redis)
CHANGES=('ENV PATH=/usr/local/bin:/usr/bin:/bin' 'ENTRYPOINT ["/usr/local/bin/guestbook-entrypoint"]' 'EXPOSE 80')
assemble() {
  assemble_guestbook "$1" v1
}

assemble_guestbook() {
  local rootfs="$1" version="$2"
  local app
  app="$(cd "$(dirname "${BASH_SOURCE[0]}")/../guestbook" && pwd)"
  install_busybox "$rootfs"
  copy_with_libs "$rootfs" "$(readlink -f "$(command -v redis-cli)")" /usr/bin/redis-cli
  mkdir -p "$rootfs/www" "$rootfs/usr/local/bin"
  sed "s/@VERSION@/$version/g" "$app/index.html" >"$rootfs/www/index.html"
  cp "$app/guestbook.php" "$rootfs/www/guestbook.php"
  cp "$app/httpd.conf" "$rootfs/etc/httpd.conf"
  install -m 755 "$app/guestbook-entrypoint" "$rootfs/usr/local/bin/guestbook-entrypoint"
  echo "$version" >"$rootfs/etc/guestbook-version"
}
