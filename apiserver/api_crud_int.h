/* Shared by the verb handlers (api_crud.c) and deletion (api_delete.c). */
#ifndef API_CRUD_INT_H
#define API_CRUD_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct api_req;
struct api_path;
struct k1s_resource;
struct k1s_lsel;
struct k1s_fsel;

/* "group/version", or "version" for the core group. */
void api_gv_string(char *buf, size_t len, const struct k1s_resource *r);
/* dryRun=All. */
bool api_dry_run(struct api_req *req);
/* Replies with obj (taken), as a Table when the client asked for one. */
int api_reply_object(struct api_req *req, const struct k1s_resource *r, unsigned code,
		     json_t *obj);
/* A 500 Status for an unexpected store error. */
json_t *api_internal_error(int err);

/* The request's limit and timeoutSeconds (0 when absent): 0, or -EINVAL
 * with *status a 400 to send. */
int api_list_options(struct api_req *req, int64_t *limit, int64_t *timeout, json_t **status);

/* Continue tokens of a list: lower-case hex of "namespace\nname", the key
 * to resume after. Decoding: 0, or -EINVAL for anything the encoder would
 * not have written or that does not fit the buffers. */
void api_continue_encode(char *buf, size_t len, const char *ns, const char *name);
int api_continue_decode(const char *tok, char *ns, size_t nslen, char *name, size_t namelen);

/* The request's labelSelector and fieldSelector. */
struct api_filter {
	struct k1s_lsel *lsel;
	struct k1s_fsel *fsel;
};

/* 0, or -EINVAL with *status a 400 to send. */
int api_filter_parse(struct api_req *req, const struct k1s_resource *r, struct api_filter *f,
		     json_t **status);
bool api_filter_match(const struct api_filter *f, const json_t *obj);
void api_filter_free(struct api_filter *f);

/* The object the path names; on failure the reply (404, 500) is sent. */
int api_load(struct api_req *req, const struct api_path *p, json_t **old);

/* The DELETE verbs. */
int api_delete_handle(struct api_req *req, const struct api_path *p);
int api_deletecollection_handle(struct api_req *req, const struct api_path *p);

#endif
