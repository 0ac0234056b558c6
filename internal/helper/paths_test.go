package helper

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestPaths(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "plan9" {
		t.Skip("the table below is for Linux and the BSDs")
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name      string
		vars      map[string]string
		creds     string
		cache     string
		wantError bool
	}{
		{"defaults", map[string]string{"HOME": "/h"}, "/h/.aws/credentials", "/h/.cache", false},
		{"variables", map[string]string{"HOME": "/h", EnvSharedCredentialsFile: "/c/creds", "XDG_CACHE_HOME": "/x"}, "/c/creds", "/x", false},
		{"tilde and relative XDG_CACHE_HOME", map[string]string{"HOME": "/h", EnvSharedCredentialsFile: "~/creds", "XDG_CACHE_HOME": "rel"}, "/h/creds", "/h/.cache", false},
		{"error/no home", map[string]string{}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err1 := CredentialsFilePath(env(tt.vars))
			cache, err2 := UserCacheDir(env(tt.vars))
			if tt.wantError {
				if err1 == nil || err2 == nil {
					t.Fatalf("no error: %q %q", creds, cache)
				}
				return
			}
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if creds != filepath.FromSlash(tt.creds) || cache != filepath.FromSlash(tt.cache) {
				t.Fatalf("credentials %q, cache %q; want %q, %q", creds, cache, tt.creds, tt.cache)
			}
		})
	}
}
