#!/bin/bash
# Every tutorial manifest applies with the real kubectl ("created"), applies
# again unchanged, and kubectl shows what kube-apiserver would.
. "$(dirname "$0")/lib.sh"
need kubectl curl python3
start_k1s

# Each file applies ("created"), then applies again as it is ("unchanged").
# (07 also carries 01's api-service, which it reconfigures.)
for f in "$MANIFESTS"/0*.yaml; do
	case $f in *03-*) continue ;; esac	# 03 changes 02's service: below
	expect_out "apply $(basename "$f")" "created" k apply -f "$f"
	expect_out "apply $(basename "$f") again" "unchanged" k apply -f "$f"
	if k apply -f "$f" 2>&1 | grep -Eq "created|configured"; then
		fail "another apply of $(basename "$f") changed something"
	fi
done

expect_out "NodePort shows 80:30080/TCP" "web-service +NodePort +10\.(9[6-9]|10[0-9]|11[01])\.[0-9.]+ +<none> +80:30080/TCP" \
	k get svc web-service
expect_out "apply 03 changes the type" "service/web-service configured" \
	k apply -f "$MANIFESTS/03-loadbalancer-service.yaml"
expect_out "LoadBalancer shows its node port" "web-service +LoadBalancer +10\.[0-9.]+ +[^ ]+ +80:3[0-9]{4}/TCP" \
	k get svc web-service
expect_out "ClusterIP service" "api-service +ClusterIP +10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+ +<none> +80/TCP" \
	k get svc api-service
expect_out "wide adds SELECTOR" "SELECTOR.*|app=api" k get svc api-service -o wide
expect_out "ingress table" "app-ingress +nginx +myapp.com,admin.myapp.com +[^ ]* *80 " k get ingress
expect_out "tls ingress ports" "secure-ingress +nginx +myapp.com +[^ ]* *80, 443" k get ingress
expect_out "networkpolicy table" "api-network-policy +app=api" k get networkpolicy
expect_out "deployments listed" "api +[0-3]/3 " k get deploy
expect_out "system namespaces" "kube-node-lease" k get ns
expect_out "kube-dns service" "kube-dns +ClusterIP +10\.96\.0\.10 +<none> +53/UDP,53/TCP" \
	k get svc -n kube-system
expect_out "kubernetes service" "kubernetes +ClusterIP +10\.96\.0\.1 +<none> +443/TCP" k get svc
expect_out "the node is Ready" " Ready " k get nodes
expect_out "ingressclass nginx" "nginx +k1s.io/ingress" k get ingressclass
expect_out "all namespaces" "kube-system +kube-dns" k get svc -A
echo "1..1 passed"
