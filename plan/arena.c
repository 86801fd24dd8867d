/*
 * A bump allocator for inventories and built plans: 100,000 hosts hold
 * millions of small strings, and one free per chunk instead of one per
 * string keeps reading, plan_build() and plan_free() linear and cheap
 * (tests/bench/plan.sh).  Each inventory and plan has its own arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/engine.h"

#define CHUNK	((size_t)1 << 20)

struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	_Alignas(16) char data[];
};

struct plan_arena {
	struct chunk	*head;
	char		**tab;		/* interned strings, open addressing */
	size_t		  cap, n;
};

struct plan_arena *
plan_arena_new(void)
{
	return xcalloc(1, sizeof(struct plan_arena));
}

/* n zeroed bytes, aligned for any member of the plan's structs. */
void *
plan_arena_alloc(struct plan_arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > CHUNK / 4 ? n : CHUNK;
		c = xcalloc(1, sizeof(*c) + cap);
		c->cap = cap;
		if (cap == CHUNK || a->head == NULL) {
			c->next = a->head;
			a->head = c;
		} else {	/* a big block: keep filling the current chunk */
			c->next = a->head->next;
			a->head->next = c;
		}
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

char *
plan_arena_strdup(struct plan_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(plan_arena_alloc(a, n), s, n);
}

static void
intern_grow(struct plan_arena *a)
{
	char **old = a->tab;
	size_t oldcap = a->cap, i, j;

	a->cap = a->cap ? a->cap * 2 : 1024;
	a->tab = xcalloc(a->cap, sizeof(*a->tab));
	for (i = 0; i < oldcap; i++) {
		if (old[i] == NULL)
			continue;
		for (j = str_hash(STR_HASH_INIT, old[i]) & (a->cap - 1);
		    a->tab[j]; j = (j + 1) & (a->cap - 1))
			;
		a->tab[j] = old[i];
	}
	free(old);
}

/*
 * One copy of each distinct string, found by its whole text: a fleet's
 * reasons repeat (hosts built alike get the same sentence), so a
 * 100,000-host plan holds a few thousand of them.
 */
char *
plan_arena_intern(struct plan_arena *a, const char *s)
{
	size_t j;

	if ((a->n + 1) * 2 > a->cap)
		intern_grow(a);
	for (j = str_hash(STR_HASH_INIT, s) & (a->cap - 1); a->tab[j];
	    j = (j + 1) & (a->cap - 1))
		if (strcmp(a->tab[j], s) == 0)
			return a->tab[j];
	a->n++;
	return a->tab[j] = plan_arena_strdup(a, s);
}

void
plan_arena_free(struct plan_arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	free(a->tab);
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
