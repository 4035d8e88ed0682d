#!/usr/bin/env bash
# Prepares this machine for Coxswain: etcd, openssl (etcd's certificates), a Docker engine, Chromium (the console's browser tests), iptables for the proxy's portal rules,
# and the host binaries that the local image recipes copy (busybox, redis). Idempotent: installs only what is missing, starts dockerd
# only when no engine answers. Needs root for the installs; without root it only says what is missing.
set -euo pipefail

need_pkgs=()
command -v etcd >/dev/null 2>&1 || need_pkgs+=(etcd-server)
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || need_pkgs+=(busybox-static)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
# The proxy's portal IP rules (iptables, iptables-restore, iptables-save) and the portal route (ip).
[ -x /usr/sbin/iptables ] || need_pkgs+=(iptables)
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
# The cluster registry `coxswain up --advertise-address` runs (the distribution registry), and nsenter for the simulated hosts.
command -v docker-registry >/dev/null 2>&1 || need_pkgs+=(docker-registry)
command -v nsenter >/dev/null 2>&1 || need_pkgs+=(util-linux)
# The pod routes agent turns on forwarding with sysctl.
command -v sysctl >/dev/null 2>&1 || need_pkgs+=(procps)
# etcd's CA and certificates (coxswain up, the TLS etcd tests) are made with the openssl CLI.
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
# The console's browser tests drive Debian's Chromium headless (playwright-core, no bundled browser).
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "coxswain: missing packages: ${need_pkgs[*]}" >&2
    echo "coxswain: install them with: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
  echo "coxswain: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# The Debian etcd-server package may start its own etcd on the default ports; Coxswain starts its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi
# Likewise the docker-registry package's own registry on :5000: `coxswain up` runs the cluster's.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "coxswain: no Docker engine answers; start one with: sudo dockerd &" >&2
    exit 1
  fi
  echo "coxswain: starting dockerd"
  # Appended, not truncated: an engine that dies mid-run leaves its story for the next start to keep.
  nohup dockerd >>/var/log/coxswain-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "coxswain: dockerd did not come up; see /var/log/coxswain-dockerd.log" >&2; exit 1; }
fi
echo "coxswain: etcd $(etcd --version | head -1 | awk '{print $3}'), docker engine $(docker version --format '{{.Server.Version}}')"
