#!/bin/bash
# The faces of the modules that run inside k1s, with the real kubectl and
# dig: `kubectl get pods -A` lists coredns-<node> (kube-system) and
# ingress-nginx-controller-<node> (ingress-nginx) Running 1/1 with pod
# IPs; kube-dns's endpoints are the DNS face's IP on port 53 (dns,
# dns-tcp); dig at that IP answers, over UDP and TCP; `kubectl logs -l
# k8s-app=kube-dns` shows DNS's start lines and, at --log-level debug,
# the query in CoreDNS's log format; the ingress face's logs answer; the
# face IPs are local routes on lo while k1s runs, and gone after it stops;
# a pod's query reaches the face through the host; logs -f follows the
# face's log across its rotation.
# A pod of the coredns image made by a user is a face too, and so is the
# controller of ingress-nginx's deploy.yaml. Needs root.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
need kubectl dig ip nslookup

NODE=$(hostname)
start_k1s --log-level debug

face_running() { # namespace name
	k get pods -n "$1" "$2" --no-headers 2>/dev/null | grep -Eq "^$2 +1/1 +Running "
}
wait_for "coredns-$NODE is Running 1/1" 10 face_running kube-system "coredns-$NODE"
wait_for "ingress-nginx-controller-$NODE is Running 1/1" 10 \
	face_running ingress-nginx "ingress-nginx-controller-$NODE"
expect_out "kubectl get pods -A lists both faces with IPs" \
	"ingress-nginx +ingress-nginx-controller-$NODE +1/1 +Running .* 10\.244\." \
	k get pods -A -o wide
expect_out "... and the DNS face" "kube-system +coredns-$NODE +1/1 +Running .* 10\.244\." \
	k get pods -A -o wide

DNS_FACE=$(k get pod -n kube-system "coredns-$NODE" -o jsonpath='{.status.podIP}')
ING_FACE=$(k get pod -n ingress-nginx "ingress-nginx-controller-$NODE" -o jsonpath='{.status.podIP}')
[ -n "$DNS_FACE" ] && [ -n "$ING_FACE" ] && [ "$DNS_FACE" != "$ING_FACE" ] ||
	fail "face IPs: '$DNS_FACE' '$ING_FACE'"
expect_out "the faces' labels and ports" \
	'^controller http:80/TCP https:443/TCP app.kubernetes.io/component=controller' \
	k get pod -n ingress-nginx "ingress-nginx-controller-$NODE" -o \
	jsonpath='{.spec.containers[0].name}{range .spec.containers[0].ports[*]} {.name}:{.containerPort}/{.protocol}{end} app.kubernetes.io/component={.metadata.labels.app\.kubernetes\.io/component}'

wait_for "kube-dns's endpoints are the DNS face's IP" 10 \
	sh -c "kubectl -s $SERVER get endpoints -n kube-system kube-dns --no-headers | grep -q ' $DNS_FACE:53,$DNS_FACE:53 '"
expect_out "kube-dns's endpoint ports are dns/UDP and dns-tcp/TCP" \
	'^dns:53/UDP dns-tcp:53/TCP $' \
	k get endpoints -n kube-system kube-dns -o \
	jsonpath='{range .subsets[0].ports[*]}{.name}:{.port}/{.protocol} {end}'

expect_out "the face IPs are local routes on lo" "local $DNS_FACE dev lo proto 107" \
	ip route show table local
expect_out "... both" "local $ING_FACE dev lo proto 107" ip route show table local

expect_out "dig at the DNS face answers" '^10\.96\.0\.1$' \
	dig +short +time=2 +tries=2 @"$DNS_FACE" kubernetes.default.svc.cluster.local
expect_out "... over TCP too" '^10\.96\.0\.10$' \
	dig +short +tcp +time=2 +tries=2 @"$DNS_FACE" kube-dns.kube-system.svc.cluster.local

expect_out "kubectl logs -l k8s-app=kube-dns shows DNS's start" \
	"^\[INFO\] serving cluster\.local on $DNS_FACE:53" \
	k logs -n kube-system -l k8s-app=kube-dns
# CoreDNS's log plugin: [INFO] remote:port - id "TYPE CLASS name proto size do bufsize" rcode flags rsize duration
expect_out "... and, at debug level, the query in CoreDNS's format" \
	"^\[INFO\] [0-9.]+:[0-9]+ - [0-9]+ \"A IN kubernetes\.default\.svc\.cluster\.local\. udp [0-9]+ false [0-9]+\" NOERROR qr,aa,rd[a-z,]* [0-9]+ [0-9.]+s$" \
	k logs -n kube-system -l k8s-app=kube-dns
expect_out "... the TCP one too" \
	"\"A IN kube-dns\.kube-system\.svc\.cluster\.local\. tcp [0-9]+ false [0-9]+\" NOERROR" \
	k logs -n kube-system "coredns-$NODE"
k logs -n ingress-nginx -l app.kubernetes.io/name=ingress-nginx >"$TMP/ing.log" 2>&1 ||
	fail "kubectl logs of the ingress face: $(cat "$TMP/ing.log")"
echo "ok - kubectl logs -n ingress-nginx -l app.kubernetes.io/name=ingress-nginx answers"

# kubectl logs -f goes on across a rotation of the face's log (10 MiB,
# kubelet's containerLogMaxSize): queries until the log has rotated, then
# one more, which the follower shows.
k logs -f -n kube-system "coredns-$NODE" >"$TMP/follow.log" 2>&1 &
FOLLOW=$!
python3 - "$DNS_FACE" "$TMP/data/faces/dns.log.1" <<'PY' || fail "the face's log did not rotate"
import os, socket, struct, sys, time
ip, rotated = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
tail = b"".join(bytes([len(l)]) + l for l in [b"r" * 60, b"cluster", b"local"]) + b"\0"
i, deadline = 0, time.time() + 90
while not os.path.exists(rotated):
    if time.time() > deadline:
        sys.exit(1)
    for _ in range(200):
        label = b"n%d" % i
        q = struct.pack(">HHHHHH", i & 0xffff, 0x100, 1, 0, 0, 0) + bytes([len(label)]) + label + tail + b"\0\1\0\1"
        s.sendto(q, (ip, 53))
        i += 1
    time.sleep(0.002)
    try:
        while s.recv(4096):
            pass
    except BlockingIOError:
        pass
PY
dig +short +time=2 +tries=2 @"$DNS_FACE" after-rotation.default.svc.cluster.local >/dev/null || true
wait_for "kubectl logs -f shows a query made after the log rotated" 10 \
	grep -q '"A IN after-rotation\.default\.svc\.cluster\.local\. udp' "$TMP/follow.log"
kill "$FOLLOW" 2>/dev/null || true
wait "$FOLLOW" 2>/dev/null || true

# A pod reaches the face through the host, as it reaches cluster IPs.
k run dnsq --image=busybox --restart=Never --command -- \
	nslookup kubernetes.default.svc.cluster.local "$DNS_FACE" >/dev/null
pod_done() { k get pod dnsq -o jsonpath='{.status.phase}' | grep -Eq '^(Succeeded|Failed)$'; }
wait_for "a pod's nslookup at the DNS face ends" 20 pod_done
expect_out "... with the answer" 'Address: 10\.96\.0\.1' k logs dnsq
expect_out "... and the face's log shows the pod's query" \
	"^\[INFO\] 10\.244\.[0-9.]+:[0-9]+ - [0-9]+ \"A IN kubernetes\.default\.svc\.cluster\.local\. udp" \
	k logs -n kube-system -l k8s-app=kube-dns
k delete pod dnsq --wait=false >/dev/null

# The controller Deployment of ingress-nginx's deploy.yaml (its image,
# controller:v1.8.0@sha256:..., is the ingress's face in the catalog)
# makes faces of the ingress, not echo apps.
python3 - "$(dirname "$0")/manifests/ingress-nginx-controller-v1.9.0.yaml" >"$TMP/deploy.yaml" <<'PY'
import sys
for doc in open(sys.argv[1]).read().split("\n---\n"):
    if "\nkind: Deployment\n" in "\n" + doc + "\n":
        print(doc)
PY
k apply -f "$TMP/deploy.yaml" >/dev/null || fail "applying deploy.yaml's Deployment"
ctl_faces() {
	[ "$(k get pods -n ingress-nginx -l app.kubernetes.io/component=controller -o \
		jsonpath='{range .items[*]}{.status.containerStatuses[0].containerID} {.status.phase}{"\n"}{end}' |
		grep -c '^k1s://face/ingress Running$')" = 2 ]
}
wait_for "deploy.yaml's controller pod is a face of the ingress" 10 ctl_faces

# A user's pod of the CoreDNS image is a face of DNS too: no process,
# an address of the host, and DNS answers there.
cat <<YAML | k apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: my-coredns, namespace: default, labels: {app: my-dns}}
spec:
  containers:
  - name: coredns
    image: registry.k8s.io/coredns/coredns:v1.11.1
    args: ["-conf", "/etc/coredns/Corefile"]
YAML
wait_for "a pod of the coredns image is Running" 10 face_running default my-coredns
MY=$(k get pod my-coredns -o jsonpath='{.status.podIP}')
expect_out "... as a face (no process)" '^k1s://face/dns$' \
	k get pod my-coredns -o jsonpath='{.status.containerStatuses[0].containerID}'
wait_for "... and DNS answers on its IP" 5 \
	sh -c "dig +short +time=1 +tries=1 @$MY kubernetes.default.svc.cluster.local | grep -qx 10.96.0.1"
k delete pod my-coredns --wait=true --timeout=10s >/dev/null || fail "deleting my-coredns"
ip route show table local | grep -q "local $MY dev lo" && fail "the deleted face's route stayed"
echo "ok - a deleted face's address is no longer local"

stop_k1s
ip route show table local | grep -Eq "local ($DNS_FACE|$ING_FACE) dev lo proto 107" &&
	fail "face routes left after k1s stopped"
echo "ok - nothing of the faces is left on the host after k1s stops"

start_k1s --log-level debug
wait_for "after a restart, the DNS face runs again" 10 face_running kube-system "coredns-$NODE"
DNS_FACE=$(k get pod -n kube-system "coredns-$NODE" -o jsonpath='{.status.podIP}')
wait_for "... and answers" 5 \
	sh -c "dig +short +time=1 +tries=1 @$DNS_FACE kubernetes.default.svc.cluster.local | grep -qx 10.96.0.1"
