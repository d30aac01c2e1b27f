"""A fake upstream DNS server on ADDR:53, so that no test asks a real one.

    fake_upstream.py ADDR COUNTFILE a|nxdomain

a: every A is 192.0.2.99 (TTL 300), every other type NODATA; nxdomain:
every name is NXDOMAIN, as a real resolver answers for a made-up one. It
writes the number of queries it has seen to COUNTFILE.
"""
import socket
import struct
import sys

addr, countfile, mode = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
n = 0
while True:
    q, peer = s.recvfrom(4096)
    n += 1
    with open(countfile, "w") as f:
        f.write(str(n))
    i = 12
    while q[i]:
        i += q[i] + 1
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    ans = b""
    flags = 0x8180  # a response, recursion desired and available
    if mode == "nxdomain":
        flags |= 3
    elif qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 99])
    hdr = q[:2] + struct.pack(">HHHHH", flags, 1, 1 if ans else 0, 0, 0)
    s.sendto(hdr + question + ans, peer)
