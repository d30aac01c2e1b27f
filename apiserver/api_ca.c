/* GET /ca.crt: the cluster CA's certificate, so that a learner can fetch
 * what to trust (curl --cacert) without a kubeconfig. Public, as the
 * ConfigMap kube-root-ca.crt is in every namespace; the key next to it in
 * the store's private table is never read here. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "k1s_err.h"
#include "k1s_log.h"
#include "st.h"

static int reply(struct api_req *req, unsigned code, const char *type, const char *body)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	int ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (code == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	ret = api_queue(req, code, resp);
	return ret;
}

int api_ca_handle(struct api_req *req, const char *path)
{
	char *crt = NULL;
	int err;

	if (strcmp(path, "/ca.crt") != 0)
		return 0;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		reply(req, 405, "text/plain; charset=utf-8", "method not allowed\n");
		return 1;
	}
	err = st_private_get(req->api->st, "cluster-ca.crt", &crt);
	if (err == 0) {
		/* libmicrohttpd sends a HEAD the same head, without the body. */
		reply(req, 200, "application/x-pem-file", crt);
	} else if (err == -ENOENT) {
		reply(req, 503, "text/plain; charset=utf-8",
		      "the cluster CA has not been created yet\n");
	} else {
		k1s_err("api", "reading the cluster CA: %s", k1s_strerror(err));
		reply(req, 500, "text/plain; charset=utf-8", "internal server error\n");
	}
	free(crt);
	return 1;
}
