/* The cluster CA: see ctrl_ca.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl.h"
#include "ctrl_ca.h"
#include "k1s_log.h"
#include "k1s_pki.h"
#include "st.h"

#define CA_CRT "cluster-ca.crt"
#define CA_KEY "cluster-ca.key"
/* Ten years, as kubeadm's CA. */
#define CA_DAYS 3650

/* Two first callers must not make two CAs. */
static pthread_mutex_t ctrl_ca_mu = PTHREAD_MUTEX_INITIALIZER;

/* A new CA, certificate and key stored together or not at all. */
static int ca_create(struct st *st, char **crt_pem, char **key_pem)
{
	time_t now = time(NULL);
	/* Backdated a little, as cert-manager's, for clocks a bit behind. */
	struct k1s_cert_req req = {.common_name = "k1s-ca",
	                           .organization = "k1s",
	                           .not_before = now - 5 * 60,
	                           .not_after = now + (time_t)CA_DAYS * 24 * 60 * 60,
	                           .is_ca = true};
	int err;

	if ((err = k1s_pki_key_new(key_pem)) < 0 ||
	    (err = k1s_pki_self_signed(&req, *key_pem, crt_pem)) < 0)
		return err;
	if ((err = st_begin(st)) < 0)
		return err;
	if ((err = st_private_put(st, CA_KEY, *key_pem)) < 0 ||
	    (err = st_private_put(st, CA_CRT, *crt_pem)) < 0) {
		st_rollback(st);
		return err;
	}
	if ((err = st_commit(st)) < 0)
		return err;
	k1s_info("ctrl", "cluster CA created: CN=k1s-ca, valid %d days", CA_DAYS);
	return 0;
}

static int ca_load(struct st *st, char **crt_pem, char **key_pem)
{
	int crt_err, key_err;
	char why[256];

	crt_err = st_private_get(st, CA_CRT, crt_pem);
	key_err = st_private_get(st, CA_KEY, key_pem);
	if (crt_err == -ENOENT && key_err == -ENOENT)
		return -ENOENT;
	if (crt_err < 0 && crt_err != -ENOENT)
		return crt_err;
	if (key_err < 0 && key_err != -ENOENT)
		return key_err;
	if (crt_err < 0 || key_err < 0) {
		/* Half a CA: making a new one would silently break every
		 * client that trusts the old one. */
		k1s_err("ctrl", "cluster CA: store has %s but not %s", crt_err ? CA_KEY : CA_CRT,
		        crt_err ? CA_CRT : CA_KEY);
		return -EIO;
	}
	if (k1s_pki_check_pair(*crt_pem, strlen(*crt_pem), *key_pem, strlen(*key_pem), why,
	                       sizeof(why)) < 0) {
		k1s_err("ctrl", "cluster CA in the store is unusable: %s", why);
		return -EIO;
	}
	return 0;
}

int ctrl_ca_get(struct st *st, char **crt_pem, char **key_pem)
{
	int err;

	*crt_pem = *key_pem = NULL;
	if (!st)
		return -EINVAL;
	pthread_mutex_lock(&ctrl_ca_mu);
	err = ca_load(st, crt_pem, key_pem);
	if (err == -ENOENT) {
		k1s_pki_free(*crt_pem);
		k1s_pki_free(*key_pem);
		*crt_pem = *key_pem = NULL;
		err = ca_create(st, crt_pem, key_pem);
	}
	pthread_mutex_unlock(&ctrl_ca_mu);
	if (err < 0) {
		k1s_pki_free(*crt_pem);
		k1s_pki_free(*key_pem);
		*crt_pem = *key_pem = NULL;
	}
	return err;
}

int ctrl_serving_cert(struct st *st, const char *common_name, const char *const *dns_names,
		      const char *const *ip_addresses, int days, char **crt_pem, char **key_pem,
		      char **ca_pem)
{
	time_t now = time(NULL);
	struct k1s_cert_req req = {.common_name = common_name,
	                           .dns_names = dns_names,
	                           .ip_addresses = ip_addresses,
	                           .not_before = now - 5 * 60,
	                           .not_after = now + (time_t)days * 24 * 60 * 60};
	char *ca_key = NULL;
	int err;

	*crt_pem = *key_pem = NULL;
	err = ctrl_ca_get(st, ca_pem, &ca_key);
	if (err == 0 && (err = k1s_pki_key_new(key_pem)) == 0)
		err = k1s_pki_issue(&req, *key_pem, *ca_pem, ca_key, crt_pem);
	k1s_pki_free(ca_key);
	if (err < 0) {
		k1s_pki_free(*crt_pem);
		k1s_pki_free(*key_pem);
		k1s_pki_free(*ca_pem);
		*crt_pem = *key_pem = *ca_pem = NULL;
	}
	return err;
}
