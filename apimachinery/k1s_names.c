/* Kubernetes name shapes: see k1s_names.h. By hand rather than with
 * regcomp, which would compile the expressions for every call or keep
 * global state, for a few character classes. */
#include "k1s_names.h"

static bool lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(unsigned char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool k1s_is_dns1123_label(const char *s, size_t n)
{
	if (n == 0 || !lower_alnum((unsigned char)s[0]) || !lower_alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool k1s_is_dns1123_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!k1s_is_dns1123_label(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

bool k1s_is_qualified_name(const char *s, size_t n)
{
	if (n == 0 || !alnum((unsigned char)s[0]) || !alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool k1s_is_config_key(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}
