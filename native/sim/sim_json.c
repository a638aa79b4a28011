#include "sim_json.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char* skipSpace(const char* p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char* skipString(const char* p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return NULL;
			p++;
		}
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Nesting is bounded so a hostile file cannot exhaust the C stack. */
static const char* skipValue(const char* p, int depth)
{
	p = skipSpace(p);
	if (depth > 64)
		return NULL;
	if (*p == '"')
		return skipString(p);
	if (*p == '{' || *p == '[') {
		char close = (*p == '{') ? '}' : ']';
		bool object = (*p == '{');
		p = skipSpace(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (object) {
				p = skipString(skipSpace(p));
				if (!p)
					return NULL;
				p = skipSpace(p);
				if (*p != ':')
					return NULL;
				p++;
			}
			p = skipValue(p, depth + 1);
			if (!p)
				return NULL;
			p = skipSpace(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return (*p == close) ? p + 1 : NULL;
		}
	}
	if (*p == '-' || isalnum((unsigned char)*p)) {
		while (*p == '-' || *p == '+' || *p == '.' || isalnum((unsigned char)*p))
			p++;
		return p;
	}
	return NULL;
}

/* Finds `key` (length n) among the members of the object starting at p. */
static const char* findMember(const char* p, const char* key, size_t n)
{
	p = skipSpace(p);
	if (*p != '{')
		return NULL;
	p = skipSpace(p + 1);
	if (*p == '}')
		return NULL;
	for (;;) {
		const char* name = skipSpace(p);
		const char* end = skipString(name);
		if (!end)
			return NULL;
		p = skipSpace(end);
		if (*p != ':')
			return NULL;
		p = skipSpace(p + 1);
		if ((size_t)(end - name - 2) == n && !strncmp(name + 1, key, n))
			return p;
		p = skipValue(p, 0);
		if (!p)
			return NULL;
		p = skipSpace(p);
		if (*p != ',')
			return NULL;
		p++;
	}
}

const char* simJsonFind(const char* text, const char* path)
{
	const char* p = text;
	while (p && *path) {
		const char* dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		p = findMember(p, path, n);
		path += n + (dot ? 1 : 0);
	}
	return p ? skipSpace(p) : NULL;
}

bool simJsonInteger(const char* text, const char* path, long* value)
{
	const char* p = simJsonFind(text, path);
	char* end;
	long v;
	if (!p || !(*p == '-' || isdigit((unsigned char)*p)))
		return false;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || *end == '.' || *end == 'e' || *end == 'E')
		return false;
	*value = v;
	return true;
}

bool simJsonString(const char* text, const char* path, char* buffer, size_t size)
{
	const char* p = simJsonFind(text, path);
	const char* end;
	size_t n;
	if (!p || *p != '"')
		return false;
	end = skipString(p);
	if (!end)
		return false;
	n = (size_t)(end - p - 2);
	if (n >= size || memchr(p + 1, '\\', n))
		return false;
	memcpy(buffer, p + 1, n);
	buffer[n] = 0;
	return true;
}
