# coxswain/guestbook:v2: coxswain/guestbook:v1 marked v2 (page, JSON "version", X-Guestbook-Version).
source "$(dirname "${BASH_SOURCE[0]}")/guestbook.sh"
IMAGE=coxswain/guestbook:v2
ALIASES=()
assemble() {
  assemble_guestbook "$1" v2
}
