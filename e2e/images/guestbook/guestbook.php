# The seed's guestbook.php (brendanburns/php-redis), as a shell CGI script run by busybox httpd
# (httpd.conf maps *.php to /bin/sh). Writes go to the redis master service, reads to the
# redisslave service, both found through the seed-era service environment variables.
#   GET  /guestbook.php?cmd=get              -> {"version":"v1","data":["first","second"]}
#   GET  /guestbook.php?cmd=set&value=TEXT   -> {"version":"v1","message":"Updated","length":N}
#   POST /guestbook.php  (form body cmd=set&value=TEXT) the same
VERSION="$(cat /etc/guestbook-version)"
KEY=messages

master_host="${REDISMASTER_SERVICE_HOST:-${REDIS_MASTER_SERVICE_HOST:-}}"
master_port="${REDISMASTER_SERVICE_PORT:-${REDIS_MASTER_SERVICE_PORT:-6379}}"
# Without a slave service (a single-redis setup) reads go to the master.
slave_host="${REDISSLAVE_SERVICE_HOST:-$master_host}"
slave_port="${REDISSLAVE_SERVICE_PORT:-$master_port}"

respond() { # STATUS-LINE BODY
  printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nX-Guestbook-Version: %s\r\n\r\n%s\n' "$1" "$VERSION" "$2"
  exit 0
}

json_string() { # escapes backslash and quote; control characters were removed on write
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# The first value of a form field in "a=1&b=2", URL-decoded.
field() { # NAME QUERY
  raw="$(printf '%s' "$2" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1)"
  httpd -d "$raw"
}

[ -n "$master_host" ] || respond '503 Service Unavailable' '{"error":"no REDISMASTER_SERVICE_HOST: is the redismaster service created?"}'

query="$QUERY_STRING"
if [ "$REQUEST_METHOD" = POST ] && [ "${CONTENT_LENGTH:-0}" -gt 0 ]; then
  query="$query&$(head -c "$CONTENT_LENGTH")"
fi
cmd="$(field cmd "$query")"

case "$cmd" in
  set)
    # One message per list element: no control characters (newlines would split it on read).
    value="$(field value "$query" | tr -d '\000-\037')"
    [ -n "$value" ] || respond '400 Bad Request' '{"error":"cmd=set needs a non-empty value"}'
    if ! length="$(timeout 5 redis-cli -h "$master_host" -p "$master_port" rpush "$KEY" "$value" 2>&1)" || ! [ "$length" -gt 0 ] 2>/dev/null; then
      respond '503 Service Unavailable' "{\"error\":$(json_string "redis master $master_host:$master_port: $length")}"
    fi
    respond '200 OK' "{\"version\":\"$VERSION\",\"message\":\"Updated\",\"length\":$length}"
    ;;
  get|'')
    if ! list="$(timeout 5 redis-cli --raw -h "$slave_host" -p "$slave_port" lrange "$KEY" 0 -1 2>&1)"; then
      respond '503 Service Unavailable' "{\"error\":$(json_string "redis slave $slave_host:$slave_port: $list")}"
    fi
    case "$list" in
      ERR*|LOADING*|MASTERDOWN*) respond '503 Service Unavailable' "{\"error\":$(json_string "redis slave $slave_host:$slave_port: $list")}" ;;
    esac
    data=""
    sep=""
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      data="$data$sep$(json_string "$line")"
      sep=","
    done <<LIST
$list
LIST
    respond '200 OK' "{\"version\":\"$VERSION\",\"data\":[$data]}"
    ;;
  *)
    respond '400 Bad Request' "{\"error\":$(json_string "unknown cmd \"$cmd\" (use get or set)")}"
    ;;
esac
