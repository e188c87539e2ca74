#!/usr/bin/env bash
# Make a throwaway test PKI in DIR with the openssl CLI:
#
#   tests/sim/make_test_pki.sh DIR
#
# writes ca.pem (a test CA), server.pem/server.key (a certificate for
# IP:127.0.0.1 signed by it), cadir/ (the CA, hashed by `openssl rehash`),
# other-ca.pem (a CA that signed nothing of this), server.pin and other.pin
# (sha256//... pins of the server's key and of another key). Short validity:
# these exist for one test run. On failure prints openssl's output and
# exits 1. Used by with_tls_sim.sh and with_nginx.sh.
set -u

if [ "$#" -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 DIR (an existing directory)" >&2
    exit 2
fi
if ! command -v openssl >/dev/null 2>&1; then
    echo "make_test_pki.sh: the openssl CLI is missing (apt-get install openssl)" >&2
    exit 1
fi
pki="$1"

make_pki() {
    set -e
    cd "$pki"
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
    echo "make_test_pki.sh: making the test PKI failed:" >&2
    cat "$pki/openssl.log" >&2
    exit 1
fi
