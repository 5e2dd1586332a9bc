/*
 * banned.h - functions we never call (after git's banned.h).
 *
 * Each of these either cannot bound its output (strcpy, sprintf), hides
 * errors (atoi), or keeps hidden global state (strtok). Use struct sbuf,
 * snprintf into an sbuf, strtoll with an end pointer, or a hand loop.
 * Included last by every engine .c file so that system headers are not
 * affected.
 */
#ifndef RECON_BANNED_H
#define RECON_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atof
#define atof(x) BANNED(atof)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
