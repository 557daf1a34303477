#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the demo, the tests and the benchmarks need, when missing.
# Runs as root (or with sudo available). Idempotent: does nothing when everything is present.
set -euo pipefail

PACKAGES=(
  libgssapi-krb5-2      # the GSSAPI library http-gssapi loads (MIT)
  krb5-kdc              # krb5kdc and kdb5_util for TestRealm
  krb5-admin-server     # kadmin.local for TestRealm
  krb5-user             # kinit, klist, kdestroy
  libgssapi3-heimdal    # Heimdal libgssapi.so.3, for the second-provider tests
  apache2               # a third-party Negotiate server for integration tests (mod_ssl included)
  openssl               # test certificates for the channel-binding tests (openssl req)
  libapache2-mod-auth-gssapi
  squid                 # a Negotiate proxy (negotiate_kerberos_auth)
  curl                  # curl --negotiate as a reference client
  openssl               # throwaway certificates for the https Apache origin (proxy tests)
  gss-ntlmssp           # NTLM inside SPNEGO, for the multi-leg connection-bound tests
  faketime              # libfaketime, for the CLI doctor test of a skewed clock
  samba-ad-dc           # Samba's AD domain controller, for AdTestRealm (Active Directory tests)
  samba-ad-provision    # its provisioning data (a Recommends, so named here)
  git                   # git clone through http-gssapi proxy (git http-backend as an Apache CGI, mod_cgid from apache2)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! node_ok; then missing+=(nodejs npm); fi

if ((${#missing[@]} > 0)); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Never install heimdal-clients: apt would remove krb5-kdc and krb5-admin-server for it.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the services it installs; the tests run their own instances on free ports.
  for svc in apache2 squid krb5-kdc krb5-admin-server samba-ad-dc smbd nmbd winbind; do
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
fi

if ! node_ok; then
  echo "http-gssapi needs Node.js >= 20.19; this system's is $(node --version 2>/dev/null || echo missing)." >&2
  echo "Install Node 20.19+ (Debian 13 and later ship it as nodejs) and run this again." >&2
  exit 1
fi
