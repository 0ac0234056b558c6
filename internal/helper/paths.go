package helper

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvSharedCredentialsFile names the credentials file update writes, as
// for the AWS CLI and SDKs.
const EnvSharedCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"

// HomeDir returns the user's home directory as os.UserHomeDir does, but
// from getenv, so tests and callers choose the environment.
func HomeDir(getenv func(string) string) (string, error) {
	env := "HOME"
	switch runtime.GOOS {
	case "windows":
		env = "USERPROFILE"
	case "plan9":
		env = "home"
	}
	if v := getenv(env); v != "" {
		return v, nil
	}
	return "", errors.New("unable to locate the home directory: $" + env + " is not set")
}

// CredentialsFilePath returns the shared credentials file: the
// AWS_SHARED_CREDENTIALS_FILE variable (a leading "~/" is the home
// directory, as for the AWS CLI), else ~/.aws/credentials.
func CredentialsFilePath(getenv func(string) string) (string, error) {
	if p := getenv(EnvSharedCredentialsFile); p != "" {
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			home, err := HomeDir(getenv)
			if err != nil {
				return "", err
			}
			return filepath.Join(home, rest), nil
		}
		return p, nil
	}
	home, err := HomeDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".aws", "credentials"), nil
}

// UserCacheDir returns the user's cache directory as os.UserCacheDir
// does, but from getenv.
func UserCacheDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not set")
	case "darwin", "ios":
		home, err := HomeDir(getenv)
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Caches"), nil
	case "plan9":
		home, err := HomeDir(getenv)
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "lib", "cache"), nil
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := HomeDir(getenv)
	if err != nil {
		return "", errors.New("neither $XDG_CACHE_HOME nor $HOME is set")
	}
	return filepath.Join(home, ".cache"), nil
}
