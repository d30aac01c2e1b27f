#!/usr/bin/env python3
"""Drives a running headless Chromium's page through the DevTools protocol
(its remote debugging port, a WebSocket), with the standard library only.

  ui_cdp.py PROFILE navigate URL
  ui_cdp.py PROFILE eval EXPR          prints the value as JSON
  ui_cdp.py PROFILE wait SECS EXPR     until EXPR is true, or exits 1
                                       with the last value
  ui_cdp.py PROFILE screenshot FILE    the page, as PNG

PROFILE is the --user-data-dir Chromium was started with: its
DevToolsActivePort file names the port."""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class Page:
    def __init__(self, profile):
        with open(os.path.join(profile, 'DevToolsActivePort')) as f:
            port = int(f.readline())
        with urllib.request.urlopen('http://127.0.0.1:%d/json' % port, timeout=10) as r:
            targets = json.load(r)
        url = next(t['webSocketDebuggerUrl'] for t in targets if t['type'] == 'page')
        path = url.split('/', 3)[3]
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET /%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
                           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                           'Sec-WebSocket-Version: 13\r\n\r\n' % (path, port, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            head += self.sock.recv(1)
        if b' 101 ' not in head.split(b'\r\n')[0]:
            sys.exit('DevTools refused the WebSocket: %r' % head)
        self.next_id = 0

    def _recv(self, n):
        buf = b''
        while len(buf) < n:
            got = self.sock.recv(n - len(buf))
            if not got:
                raise EOFError('DevTools closed the connection')
            buf += got
        return buf

    def _frame(self):
        data = b''
        while True:
            b0, b1 = self._recv(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('>H', self._recv(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', self._recv(8))[0]
            data += self._recv(n)
            if b0 & 0x80:
                return data

    def call(self, method, **params):
        self.next_id += 1
        msg = json.dumps({'id': self.next_id, 'method': method, 'params': params}).encode()
        mask = os.urandom(4)
        n = len(msg)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack('>H', n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack('>Q', n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
        while True:
            reply = json.loads(self._frame())
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError('%s: %s' % (method, reply['error']))
                return reply['result']

    def eval(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True)
        if 'exceptionDetails' in r:
            return {'exception': r['exceptionDetails'].get('exception', {}).get('description')}
        return r['result'].get('value')


def main():
    page = Page(sys.argv[1])
    cmd = sys.argv[2]
    if cmd == 'navigate':
        page.call('Page.navigate', url=sys.argv[3])
    elif cmd == 'eval':
        print(json.dumps(page.eval(sys.argv[3])))
    elif cmd == 'wait':
        end = time.time() + float(sys.argv[3])
        while True:
            v = page.eval(sys.argv[4])
            if v is True:
                return
            if time.time() > end:
                sys.exit('not within %ss: %s is %s' % (sys.argv[3], sys.argv[4], json.dumps(v)))
            time.sleep(0.2)
    elif cmd == 'screenshot':
        size = page.call('Page.getLayoutMetrics')['cssContentSize']
        clip = {'x': 0, 'y': 0, 'width': size['width'], 'height': min(size['height'], 4000),
                'scale': 1}
        r = page.call('Page.captureScreenshot', format='png', captureBeyondViewport=True,
                      clip=clip)
        with open(sys.argv[3], 'wb') as f:
            f.write(base64.b64decode(r['data']))
    else:
        sys.exit('ui_cdp.py: no command %s' % cmd)


if __name__ == '__main__':
    main()
