/* bench/ingress: what TLS costs a server in mbedTLS (Debian 12's 2.28),
 * the cryptography alone, on one core. A full ECDHE-ECDSA handshake's
 * P-256 work: ECDSA signatures (mbedtls_pk_sign, as
 * ssl_prepare_server_key_exchange signs) and ECDH (a key pair from the
 * generator, then the shared secret from the client's point, as
 * ServerKeyExchange and ClientKeyExchange need), per second. The records'
 * ciphers: AES-128-GCM and ChaCha20-Poly1305 over 16 KiB records, in
 * MB/s. To set beside `openssl speed ecdsap256 ecdhp256` and `openssl
 * speed -evp aes-128-gcm`.
 *
 *   crypto_speed [SECONDS]
 */
#include <mbedtls/chachapoly.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int ret, const char *what)
{
	if (ret != 0) {
		fprintf(stderr, "crypto_speed: %s: -0x%04x\n", what, (unsigned)-ret);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2, t0;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context rng;
	mbedtls_pk_context key;
	unsigned char hash[32] = {1}, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t siglen;
	long n;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&rng);
	mbedtls_pk_init(&key);
	check(mbedtls_ctr_drbg_seed(&rng, mbedtls_entropy_func, &entropy, NULL, 0), "seed");
	check(mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "pk_setup");
	check(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
				  mbedtls_ctr_drbg_random, &rng), "gen_key");

	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		check(mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &siglen,
				      mbedtls_ctr_drbg_random, &rng), "sign");
	printf("mbedtls ecdsa p256 sign %.0f/s\n", n / (now() - t0));

	/* The peer's public point: any point of the curve but the generator,
	 * which mbedTLS would multiply with its precomputed table. */
	mbedtls_ecp_group grp;
	mbedtls_ecp_point peer, ours, shared;
	mbedtls_mpi d, peer_d, z;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&peer);
	mbedtls_ecp_point_init(&ours);
	mbedtls_ecp_point_init(&shared);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&peer_d);
	mbedtls_mpi_init(&z);
	check(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), "group");
	check(mbedtls_ecdh_gen_public(&grp, &peer_d, &peer, mbedtls_ctr_drbg_random, &rng), "peer");
	for (n = 0, t0 = now(); now() - t0 < secs; n++) {
		check(mbedtls_ecdh_gen_public(&grp, &d, &ours, mbedtls_ctr_drbg_random, &rng), "gen");
		check(mbedtls_ecdh_compute_shared(&grp, &z, &peer, &d, mbedtls_ctr_drbg_random, &rng),
		      "shared");
	}
	printf("mbedtls ecdh p256 (key pair + shared secret) %.0f/s\n", n / (now() - t0));

	static unsigned char in[16384], out[16384], tag[16], iv[12], k[32];
	mbedtls_gcm_context gcm;
	mbedtls_chachapoly_context cc;

	mbedtls_gcm_init(&gcm);
	check(mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, k, 128), "gcm key");
	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		check(mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, sizeof(in), iv, sizeof(iv),
						NULL, 0, in, out, sizeof(tag), tag), "gcm");
	printf("mbedtls aes-128-gcm %.0f MB/s\n", n * sizeof(in) / (now() - t0) / 1e6);
	mbedtls_chachapoly_init(&cc);
	check(mbedtls_chachapoly_setkey(&cc, k), "chachapoly key");
	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		check(mbedtls_chachapoly_encrypt_and_tag(&cc, sizeof(in), iv, NULL, 0, in, out, tag),
		      "chachapoly");
	printf("mbedtls chacha20-poly1305 %.0f MB/s\n", n * sizeof(in) / (now() - t0) / 1e6);
	return 0;
}
