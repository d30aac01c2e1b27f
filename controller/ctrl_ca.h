/* The cluster CA: an ECDSA P-256 key and a self-signed certificate,
 * created at first start and kept in the store's private table (keys
 * "cluster-ca.crt" and "cluster-ca.key"), which the API never serves. The
 * certificate is public: every namespace's ConfigMap kube-root-ca.crt
 * carries it, and the API serves it at /ca.crt. */
#ifndef CTRL_CA_H
#define CTRL_CA_H

struct st;

/* The CA's certificate and key in PEM, created and stored first if the
 * store has none. Free both with k1s_pki_free(). 0 or a negative errno. */
int ctrl_ca_get(struct st *st, char **crt_pem, char **key_pem);

#endif
