// Criterion links libgit2 for one thing: the diff its newer assertion
// macros (cr_assert(eq(str, ...))) print on a failure. Yet it starts
// libgit2 in every test process, and Criterion runs each test in a
// process of its own: libgit2's start-up loads the system's certificate
// store for HTTPS, which a unit test never uses. On the 2-core machine
// that was about 20 ms of the 165 ms one test's run costs, and make test
// starts several hundred of them.
//
// The definitions here come before libgit2's (the program's own symbols
// win over a shared library's), so start-up does nothing, and the real
// initialisation runs on the first diff, if there ever is one: these
// tests use the older macros, which print no diff.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <git2/diff.h>
#include <git2/global.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int git_libgit2_init(void)
{
	return 1; // "initialised once": what the real call says the first time
}

int git_libgit2_shutdown(void)
{
	return 0;
}

typedef int diff_fn(const void *, size_t, const char *, const void *, size_t, const char *,
                    const git_diff_options *, git_diff_file_cb, git_diff_binary_cb,
                    git_diff_hunk_cb, git_diff_line_cb, void *);

int git_diff_buffers(const void *old_buffer, size_t old_len, const char *old_as_path,
                     const void *new_buffer, size_t new_len, const char *new_as_path,
                     const git_diff_options *options, git_diff_file_cb file_cb,
                     git_diff_binary_cb binary_cb, git_diff_hunk_cb hunk_cb,
                     git_diff_line_cb line_cb, void *payload)
{
	static bool started;
	int (*real_init)(void) = (int (*)(void))dlsym(RTLD_NEXT, "git_libgit2_init");
	diff_fn *real_diff = (diff_fn *)dlsym(RTLD_NEXT, "git_diff_buffers");
	if (!real_init || !real_diff) {
		fprintf(stderr, "lazy_libgit2: libgit2 not found: %s\n", dlerror());
		abort();
	}
	if (!started) {
		real_init();
		started = true;
	}
	return real_diff(old_buffer, old_len, old_as_path, new_buffer, new_len, new_as_path,
	                 options, file_cb, binary_cb, hunk_cb, line_cb, payload);
}
