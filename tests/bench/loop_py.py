"""Python 3 standard library peer: http.client on one kept-alive connection
plus json, N sequential end-session PUTs.

    python3 loop_py.py BASE_URL ACCESS_KEY TOKEN N
"""
import http.client
import json
import resource
import sys
import time
import urllib.parse


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_kb():
    """VmHWM: ru_maxrss would include the launcher's peak, carried over exec."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    base, key, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    url = urllib.parse.urlsplit(base)
    path = url.path + "/LOT-1/session/1/end?access_key=" + urllib.parse.quote(key, safe="")
    headers = {"Accept": "application/json", "Authorization": "Bearer " + token,
               "User-Agent": "libcoord/1.1.0"}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def end_once():
        conn.request("PUT", path, body=b"", headers=headers)
        resp = conn.getresponse()
        session = json.loads(resp.read())
        if resp.status != 200 or session["id"] != 1 or \
                session["billing_info"]["cost"]["amount"] != 100:
            raise SystemExit("unexpected answer")

    end_once()
    w0, c0 = time.monotonic(), cpu()
    for _ in range(n):
        end_once()
    c1, w1 = cpu(), time.monotonic()
    rss = peak_rss_kb()
    print(f"RESULT calls={n} wall_s={w1 - w0:.6f} cpu_s={c1 - c0:.6f} maxrss_kb={rss}",
          flush=True)
    conn.close()


if __name__ == "__main__":
    main()
