# Helpers for the image recipes (sourced by build.sh).

# Copies a host binary into ROOTFS at the same path, with every shared library `ldd` names.
copy_with_libs() {
  local rootfs="$1" bin="$2" dest="${3:-$2}"
  mkdir -p "$rootfs$(dirname "$dest")"
  cp -L "$bin" "$rootfs$dest"
  local lib
  for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
    [ -e "$lib" ] || continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

# Installs the static busybox at /bin/busybox with a symlink per applet in /bin, and a minimal /etc.
# The tree is made once per build.sh run and copied into each recipe's root: its ~400 links cost a
# process each (1.2 s), and every recipe needs them, up to date or not (the hash is of the whole root).
install_busybox() {
  local rootfs="$1"
  if [ -z "${busybox_tree:-}" ]; then
    busybox_tree="$(mktemp -d "${TMPDIR:-/tmp}/coxswain-busybox.XXXXXX")"
    make_busybox_tree "$busybox_tree" || return 1
  fi
  cp -a "$busybox_tree/." "$rootfs/"
}

make_busybox_tree() {
  local rootfs="$1"
  local bb
  bb="$(command -v busybox)"
  if ldd "$bb" >/dev/null 2>&1; then
    echo "lib.sh: $bb is not static (install busybox-static)" >&2
    return 1
  fi
  mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/sbin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/root"
  chmod 1777 "$rootfs/tmp"
  cp "$bb" "$rootfs/bin/busybox"
  local applet
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
}

# A content hash of a root filesystem (paths, modes, file contents, link targets) plus the import
# options, so the cache follows what is inside the image and not file times.
rootfs_hash() {
  local rootfs="$1"; shift
  {
    (cd "$rootfs" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort)
    (cd "$rootfs" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-16
}

# Makes IMAGE answer under ALIAS too (ALIAS without a tag means :latest), unless ALIAS already names an
# image that Coxswain did not build (one pulled from a registry): that one is left as it is.
tag_alias() {
  local image="$1" alias="$2"
  case "${alias##*/}" in *:*) ;; *) alias="$alias:latest" ;; esac
  local want have label
  want="$(docker image inspect -f '{{.Id}}' "$image")"
  have="$(docker image inspect -f '{{.Id}}' "$alias" 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then
    echo "build.sh: $alias is $image"
    return 0
  fi
  if [ -n "$have" ]; then
    label="$(docker image inspect -f '{{index .Config.Labels "coxswain.recipe"}}' "$alias" 2>/dev/null || true)"
    if [ -z "$label" ] || [ "$label" = "<no value>" ]; then
      echo "build.sh: $alias exists and is not a Coxswain build; left as it is (the seed's manifests will run it)" >&2
      return 0
    fi
  fi
  docker tag "$image" "$alias"
  echo "build.sh: tagged $alias as $image"
}

build_recipe() {
  local recipe="$1"
  local IMAGE="" CHANGES=() ALIASES=()
  unset -f assemble
  # shellcheck disable=SC1090
  source "$recipe"
  [ -n "$IMAGE" ] || { echo "build.sh: $recipe sets no IMAGE" >&2; return 1; }
  local rootfs
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/coxswain-rootfs.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" RETURN
  assemble "$rootfs"
  local hash
  hash="$(rootfs_hash "$rootfs" "${CHANGES[@]}")"
  local current
  current="$(docker image inspect -f '{{index .Config.Labels "coxswain.recipe"}}' "$IMAGE" 2>/dev/null || true)"
  if [ "$current" = "$hash" ]; then
    echo "build.sh: $IMAGE up to date ($hash)"
  else
    import_image "$rootfs" "$IMAGE" "$hash" "${CHANGES[@]}"
  fi
  local alias
  for alias in "${ALIASES[@]}"; do tag_alias "$IMAGE" "$alias"; done
}

import_image() { # ROOTFS IMAGE HASH CHANGE...
  local rootfs="$1" IMAGE="$2" hash="$3"; shift 3
  local CHANGES=("$@")
  local args=()
  local change
  for change in "${CHANGES[@]}"; do args+=(--change "$change"); done
  args+=(--change "LABEL coxswain.recipe=$hash")
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . | docker import "${args[@]}" - "$IMAGE" >/dev/null
  echo "build.sh: built $IMAGE ($hash)"
}
