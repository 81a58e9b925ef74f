/*
 * Produces the two self-generated (regression, not published) vectors in this folder,
 * independently of the Swift code: kx.json's session keys and keyfile.json's RSKF v1 file.
 *
 *   cc -o /tmp/gen generate_regression_vectors.c -lsodium && /tmp/gen
 *
 * It writes the RSKF layout by hand from the README, so the Swift implementation is checked
 * against a second implementation of the format.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void hex(const char *label, const unsigned char *b, size_t n) {
    char out[4096];
    sodium_bin2hex(out, sizeof out, b, n);
    printf("%s %s\n", label, out);
}

int main(void) {
    if (sodium_init() < 0) return 1;

    /* crypto_kx from fixed seeds. */
    unsigned char cseed[32], sseed[32], cpk[32], csk[32], spk[32], ssk[32];
    unsigned char crx[32], ctx[32], srx[32], stx[32];
    for (int i = 0; i < 32; i++) { cseed[i] = (unsigned char) i; sseed[i] = (unsigned char) (0x80 + i); }
    crypto_kx_seed_keypair(cpk, csk, cseed);
    crypto_kx_seed_keypair(spk, ssk, sseed);
    if (crypto_kx_client_session_keys(crx, ctx, cpk, csk, spk) != 0) return 2;
    if (crypto_kx_server_session_keys(srx, stx, spk, ssk, cpk) != 0) return 3;
    hex("kx.clientSeed", cseed, 32);
    hex("kx.serverSeed", sseed, 32);
    hex("kx.clientPublicKey", cpk, 32);
    hex("kx.serverPublicKey", spk, 32);
    hex("kx.clientReceive", crx, 32);
    hex("kx.clientTransmit", ctx, 32);
    hex("kx.serverReceive", srx, 32);
    hex("kx.serverTransmit", stx, 32);

    /* RSKF v1 key file with the minimum Argon2id cost. */
    const char *pass = "correct horse battery staple";
    unsigned char payload[32], salt[16], nonce[24], key[32];
    for (int i = 0; i < 32; i++) payload[i] = (unsigned char) (0xa0 + i);
    for (int i = 0; i < 16; i++) salt[i] = (unsigned char) (0x10 + i);
    for (int i = 0; i < 24; i++) nonce[i] = (unsigned char) (0x40 + i);
    unsigned long long ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
    unsigned long long mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
    unsigned char file[37 + 24 + 32 + 16];
    memcpy(file, "RSKF", 4);
    file[4] = 1;
    for (int i = 0; i < 8; i++) file[5 + i] = (unsigned char) (ops >> (8 * i));
    for (int i = 0; i < 8; i++) file[13 + i] = (unsigned char) (mem >> (8 * i));
    memcpy(file + 21, salt, 16);
    if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, (size_t) mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) return 4;
    memcpy(file + 37, nonce, 24);
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(file + 61, &clen, payload, 32, file, 37, NULL, nonce, key);
    hex("keyfile.payload", payload, 32);
    hex("keyfile.salt", salt, 16);
    hex("keyfile.nonce", nonce, 24);
    printf("keyfile.opsLimit %llu\nkeyfile.memLimit %llu\n", ops, mem);
    hex("keyfile.derivedKey", key, 32);
    hex("keyfile.file", file, 61 + clen);
    return 0;
}
