// Criterion uses libgit2 for one thing: the diff its newer assertion
// macros (cr_assert(eq(str, ...))) print on a failure. Yet it starts
// libgit2 in every test process, and Criterion runs each test in a
// process of its own: libgit2's start-up loads the system's certificate
// store for HTTPS, which a unit test never uses, and libgit2 itself
// brings fifteen libraries for the loader to map and relocate.
//
// So the three libgit2 functions Criterion calls are defined here. With
// the static Criterion (see the Makefile) libgit2 is not linked at all,
// and these are the only definitions; with the shared one, the program's
// own symbols win over a library's. Either way start-up does nothing, and
// libgit2 is opened and started on the first diff, if there ever is one:
// these tests use the older macros, which print no diff.
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
	// libgit2-dev's name for the library: the copy already loaded, if the
	// shared Criterion brought one (dlopen finds the same file)
	void *lib = dlopen("libgit2.so", RTLD_NOW | RTLD_GLOBAL);
	int (*real_init)(void) = lib ? (int (*)(void))dlsym(lib, "git_libgit2_init") : NULL;
	diff_fn *real_diff = lib ? (diff_fn *)dlsym(lib, "git_diff_buffers") : NULL;
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
