#!/bin/bash
# Query parameters as kube-apiserver reads them, through curl: booleans in
# any spelling a client sends (watch=True from the Python client), numbers
# that fail with strconv's message, dryRun and the other options that are
# 422 when not valid, and `pretty` with the curl rule.
. "$(dirname "$0")/lib.sh"
need curl python3 timeout
start_k1s

CM=/api/v1/namespaces/default/configmaps
# status: code, reason and message of the Status in $TMP/body.
status() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s.get("code"), s.get("reason"), s.get("message"), sep="|")' "$TMP/body"
}
expect_status() {
	local what=$1 want=$2 got
	got=$(status) || fail "$what: not a Status: $(cat "$TMP/body")"
	[ "$got" = "$want" ] || fail "$what:"$'\n'"  got  $got"$'\n'"  want $want"
	echo "ok - $what"
}
json_post() {
	http_code POST "$1" -H 'Content-Type: application/json' -d "$2"
}

code=$(json_post $CM '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"q1","labels":{"t":"q"}}}')
[ "$code" = 201 ] || fail "create q1: $code $(cat "$TMP/body")"

# Booleans: absent, "0" and any case of "false" are false; anything else,
# "" and "f" included, is true (Convert_Slice_string_To_bool).
for v in True true 1 "" f yes; do
	out=$(timeout 1 curl -sN "$SERVER$CM?labelSelector=t%3Dq&watch=$v" || true)
	echo "$out" | grep -q '"type":"ADDED"' || fail "watch=$v did not stream events: $out"
done
echo "ok - watch=True, true, 1, '', f and yes all watch"
for v in false False FALSE 0; do
	code=$(http_code GET "$CM?watch=$v")
	[ "$code" = 200 ] && grep -q '"kind": *"ConfigMapList"' "$TMP/body" || fail "watch=$v: $code $(cat "$TMP/body")"
done
echo "ok - watch=false, False, FALSE and 0 list"

# Numbers: a decode error of the options is a 400 with strconv's words.
http_code GET "$CM?limit=abc" >/dev/null
expect_status "limit=abc" '400|BadRequest|strconv.ParseInt: parsing "abc": invalid syntax'
http_code GET "$CM?limit=" >/dev/null
expect_status "limit= (empty)" '400|BadRequest|strconv.ParseInt: parsing "": invalid syntax'
http_code GET "$CM?watch=1&timeoutSeconds=1s" >/dev/null
expect_status "timeoutSeconds=1s on a watch" '400|BadRequest|strconv.ParseInt: parsing "1s": invalid syntax'
http_code GET "$CM?limit=99999999999999999999" >/dev/null
expect_status "limit out of range" '400|BadRequest|strconv.ParseInt: parsing "99999999999999999999": value out of range'
code=$(http_code GET "$CM?limit=1&timeoutSeconds=%2B5"); [ "$code" = 200 ] || fail "limit=1&timeoutSeconds=+5: $code"
echo "ok - a signed number parses"
http_code DELETE "$CM/q1?gracePeriodSeconds=soon" >/dev/null
expect_status "gracePeriodSeconds=soon" '400|BadRequest|strconv.ParseInt: parsing "soon": invalid syntax'
code=$(http_code GET "$CM/q1"); [ "$code" = 200 ] || fail "q1 was deleted by a bad request: $code"
http_code DELETE "$CM?gracePeriodSeconds=x" >/dev/null
expect_status "deletecollection gracePeriodSeconds=x" '400|BadRequest|strconv.ParseInt: parsing "x": invalid syntax'

# dryRun is a list whose only value is All (ValidateDryRun).
json_post "$CM?dryRun=true" '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"q2"}}' >/dev/null
expect_status "dryRun=true on create" '422|Invalid|CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"'
code=$(json_post "$CM?dryRun=All" '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"q2"}}')
[ "$code" = 201 ] || fail "dryRun=All: $code $(cat "$TMP/body")"
code=$(http_code GET "$CM/q2"); [ "$code" = 404 ] || fail "dryRun=All created q2: $code"
echo "ok - dryRun=All answers and stores nothing"
http_code PATCH "$CM/q1?dryRun=All&dryRun=1" -H 'Content-Type: application/merge-patch+json' -d '{"data":{"a":"b"}}' >/dev/null
expect_status "dryRun=All&dryRun=1 on patch" '422|Invalid|PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "1"}: supported values: "All"'
http_code PATCH "$CM/q1?force=true" -H 'Content-Type: application/merge-patch+json' -d '{"data":{"a":"b"}}' >/dev/null
expect_status "force on a merge patch" '422|Invalid|PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
http_code PUT "$CM/q1?fieldValidation=strict" -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"q1"}}' >/dev/null
expect_status "fieldValidation=strict on update" '422|Invalid|UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"'
http_code DELETE "$CM/q1?propagationPolicy=Cascade&dryRun=x" >/dev/null
expect_status "two bad delete options" '422|Invalid|DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Unsupported value: "Cascade": supported values: "Foreground", "Background", "Orphan", "nil", dryRun: Unsupported value: []string{"x"}: supported values: "All"]'
code=$(http_code DELETE "$CM/q1?dryRun=All"); [ "$code" = 200 ] || fail "delete dryRun=All: $code"
code=$(http_code GET "$CM/q1"); [ "$code" = 200 ] || fail "delete dryRun=All deleted q1: $code"
echo "ok - delete with dryRun=All keeps the object"

# pretty (responsewriters isPrettyPrint): strconv.ParseBool, errors false;
# without it curl, Wget and browsers get indented JSON, other clients not.
lines() { curl -s "$@" | wc -l; }
[ "$(lines "$SERVER$CM/q1")" -gt 3 ] || fail "curl does not get indented JSON"
[ "$(lines -A 'Wget/1.21' "$SERVER$CM/q1")" -gt 3 ] || fail "Wget does not get indented JSON"
[ "$(lines -A 'Mozilla/5.0 (X11)' "$SERVER$CM/q1")" -gt 3 ] || fail "a browser does not get indented JSON"
[ "$(lines -A 'kubectl/v1.32.4' "$SERVER$CM/q1")" = 1 ] || fail "kubectl gets indented JSON"
[ "$(lines -A 'kubectl/v1.32.4' "$SERVER$CM/q1?pretty=true")" -gt 3 ] || fail "pretty=true is not indented"
[ "$(lines -A 'kubectl/v1.32.4' "$SERVER$CM/q1?pretty=T")" -gt 3 ] || fail "pretty=T is not indented"
[ "$(lines "$SERVER$CM/q1?pretty=false")" = 1 ] || fail "curl with pretty=false is indented"
[ "$(lines "$SERVER$CM/q1?pretty=yes")" = 1 ] || fail "pretty=yes (not a ParseBool word) is indented"
[ "$(lines "$SERVER$CM/q1?pretty=")" -gt 3 ] || fail "curl with an empty pretty is not indented"
echo "ok - pretty as kube-apiserver reads it, curl rule included"
echo "1..1 passed"
