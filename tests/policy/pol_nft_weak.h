/* The kernel side as nothing, for tests of the module with enforce false
 * while pol_nft.c is empty: weak, so a real pol_nft.c linked in wins. */
#ifndef POL_NFT_WEAK_H
#define POL_NFT_WEAK_H

#include <errno.h>

#include "pol_int.h"

__attribute__((weak)) struct pol_nft *pol_nft_new(int *err)
{
	*err = -EPERM;
	return NULL;
}

__attribute__((weak)) int pol_nft_apply(struct pol_nft *n, const struct pol_view *v)
{
	return -EPERM;
}

__attribute__((weak)) int pol_nft_drops(struct pol_nft *n, const struct pol_view *v,
					json_t *counts)
{
	return 0;
}

__attribute__((weak)) int pol_nft_log_fd(const struct pol_nft *n)
{
	return -1;
}

__attribute__((weak)) void pol_nft_log_read(struct pol_nft *n, const struct pol_view *v)
{
}

__attribute__((weak)) void pol_nft_free(struct pol_nft *n, bool remove)
{
}

#endif
