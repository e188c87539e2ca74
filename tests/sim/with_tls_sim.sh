#!/usr/bin/env bash
# Run a command against a fresh HTTPS Coord simulator.
#
#   tests/sim/with_tls_sim.sh CMD [ARGS...]
#
# Makes a throwaway PKI in a temporary directory (make_test_pki.sh: a test
# CA, a server certificate for IP 127.0.0.1 signed by it, and an unrelated CA),
# starts the simulator in HTTPS mode through with_sim.sh, and exports, besides
# what with_sim.sh exports (COORD_SIM_URL is then https://...):
#   COORD_SIM_CA             the test CA's PEM file (for control requests)
#   COORD_TLS_CA_FILE        the same file
#   COORD_TLS_CA_DIR         a directory holding the test CA, hashed by `openssl rehash`
#   COORD_TLS_OTHER_CA_FILE  a CA that did not sign the server certificate
#   COORD_TLS_PIN            sha256//... pin of the server's public key
#   COORD_TLS_OTHER_PIN      sha256//... pin of another key
# Everything is deleted on exit. Needs `openssl` (Debian package openssl).
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pki="$(mktemp -d "${TMPDIR:-/tmp}/coord_pki.XXXXXX")" || exit 1
trap 'rm -rf "$pki"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/make_test_pki.sh" "$pki" || exit 1

export COORD_SIM_CA="$pki/ca.pem"
export COORD_TLS_CA_FILE="$pki/ca.pem"
export COORD_TLS_CA_DIR="$pki/cadir"
export COORD_TLS_OTHER_CA_FILE="$pki/other-ca.pem"
COORD_TLS_PIN="$(cat "$pki/server.pin")"
COORD_TLS_OTHER_PIN="$(cat "$pki/other.pin")"
export COORD_TLS_PIN COORD_TLS_OTHER_PIN
export COORD_SIM_ARGS="${COORD_SIM_ARGS:-} --tls-cert $pki/server.pem --tls-key $pki/server.key"

"$here/with_sim.sh" "$@"
exit $?
