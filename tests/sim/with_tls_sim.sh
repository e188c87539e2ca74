#!/usr/bin/env bash
# Run a command against a fresh HTTPS Coord simulator.
#
#   tests/sim/with_tls_sim.sh CMD [ARGS...]
#
# Makes a throwaway PKI with the openssl CLI in a temporary directory (a test
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
if ! command -v openssl >/dev/null 2>&1; then
    echo "with_tls_sim.sh: the openssl CLI is missing (apt-get install openssl)" >&2
    exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pki="$(mktemp -d "${TMPDIR:-/tmp}/coord_pki.XXXXXX")" || exit 1
trap 'rm -rf "$pki"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_pki() {
    set -e
    cd "$pki"
    # Short validity: these exist for one test run.
    new_ca() { # name subject
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$1.key" -out "$1.pem" -days 2 -subj "$2" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign"
    }
    new_ca ca "/CN=libcoord test CA"
    new_ca other-ca "/CN=libcoord unrelated CA"
    printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
        -extfile server.ext -out server.pem
    mkdir cadir
    cp ca.pem cadir/
    openssl rehash cadir
    pin() { # private key -> sha256//base64(SHA-256(DER SubjectPublicKeyInfo))
        printf 'sha256//%s' "$(openssl pkey -in "$1" -pubout |
            openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
    }
    pin server.key >server.pin
    pin other-ca.key >other.pin
}
if ! (make_pki) >"$pki/openssl.log" 2>&1; then
    echo "with_tls_sim.sh: making the test PKI failed:" >&2
    cat "$pki/openssl.log" >&2
    exit 1
fi

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
