#!/usr/bin/env bash
# Builds the images the end-to-end tests and the local cluster use, without a registry: each recipe
# assembles a root filesystem from host binaries (Debian packages busybox-static, redis-server) and
# `docker import`s it. Idempotent and cached: the image carries a label with the hash of its root
# filesystem and import options, and is rebuilt only when that hash changes.
#
#   e2e/images/build.sh            build every recipe in recipes/*.sh
#   e2e/images/build.sh pause redis  build only these recipes
#
# A recipe (recipes/<name>.sh) sets IMAGE, CHANGES (an array of `docker import --change` lines),
# optionally ALIASES (the seed's image names it stands in for: tagged too, see lib.sh's tag_alias) and
# defines `assemble ROOTFS`; recipes/guestbook.sh and guestbook-v2.sh build the guestbook frontend
# (its app is in e2e/images/guestbook/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/lib.sh"
# shellcheck source=lib.sh
source "$lib"

if ! docker info >/dev/null 2>&1; then
  echo "build.sh: no Docker engine answers (is dockerd running?)" >&2
  exit 1
fi

# Several test workers may call this at once: one builder at a time.
lock="${TMPDIR:-/tmp}/coxswain-images.lock"
exec 9>"$lock"
flock 9

# install_busybox (lib.sh) keeps the tree it copies into every recipe's root here.
busybox_tree=""
trap 'rm -rf "$busybox_tree"' EXIT

if [ "$#" -gt 0 ]; then
  recipes=()
  for name in "$@"; do recipes+=("$here/recipes/$name.sh"); done
else
  recipes=("$here"/recipes/*.sh)
fi

for recipe in "${recipes[@]}"; do
  [ -f "$recipe" ] || { echo "build.sh: no recipe $recipe" >&2; exit 1; }
  build_recipe "$recipe"
done
