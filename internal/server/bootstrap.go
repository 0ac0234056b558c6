package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/fsutil"
	"github.com/roam-dev/roam/internal/store"
)

// AdminCredentialsFile is the name, inside the data directory, of the AWS
// shared-credentials file holding the account's root keys.
const AdminCredentialsFile = "admin-credentials"

var (
	accountIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{12}$`) })
	regionPattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`) })
)

// bootstrap makes sure the store holds an account and a sealing key,
// creating them on first start, and that the data directory holds the
// admin credentials file. An existing account must agree with the
// requested account ID and region (when given).
func bootstrap(ctx context.Context, st store.Store, dataDir, accountID, region string, now time.Time) (*store.Account, error) {
	if accountID != "" && !accountIDPattern().MatchString(accountID) {
		return nil, fmt.Errorf("--account-id %q: an account ID is 12 digits", accountID)
	}
	if region != "" && !regionPattern().MatchString(region) {
		return nil, fmt.Errorf("--region %q does not look like a region name (e.g. us-east-1)", region)
	}
	acct, err := st.GetAccount(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		acct, err = newAccount(accountID, region, now)
		if err != nil {
			return nil, err
		}
		if err := st.CreateAccount(ctx, acct); err != nil {
			return nil, fmt.Errorf("create account: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("read account: %w", err)
	default:
		if accountID != "" && accountID != acct.ID {
			return nil, fmt.Errorf("the data directory belongs to account %s, not %s (--account-id only applies on first start)", acct.ID, accountID)
		}
		if region != "" && region != acct.Region {
			return nil, fmt.Errorf("the data directory serves region %s, not %s (--region only applies on first start)", acct.Region, region)
		}
	}
	keys, err := st.ListSealingKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read keyring: %w", err)
	}
	if len(keys) == 0 {
		k, err := credentials.NewSealingKey(now)
		if err != nil {
			return nil, err
		}
		if err := st.AddSealingKey(ctx, k); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return nil, fmt.Errorf("create sealing key: %w", err)
		}
	}
	if dataDir != "" {
		if err := writeAdminCredentials(filepath.Join(dataDir, AdminCredentialsFile), acct); err != nil {
			return nil, err
		}
	}
	return acct, nil
}

func newAccount(id, region string, now time.Time) (*store.Account, error) {
	if id == "" {
		n, err := rand.Int(rand.Reader, big.NewInt(1e12))
		if err != nil {
			return nil, err
		}
		id = fmt.Sprintf("%012d", n)
	}
	if region == "" {
		region = "us-east-1"
	}
	keyID, err := credentials.NewAccessKeyID("AKIA")
	if err != nil {
		return nil, err
	}
	secret, err := credentials.NewSecretAccessKey()
	if err != nil {
		return nil, err
	}
	return &store.Account{
		ID: id, Region: region, Partition: "aws",
		RootAccessKeyID: keyID, RootSecretAccessKey: secret.Reveal(),
		CreatedAt: now.UTC(),
	}, nil
}

// AdminCredentials renders the account's root keys in AWS shared
// credentials format. The region line makes the file enough on its own:
// botocore and the AWS SDKs merge credentials-file keys into the profile.
func AdminCredentials(a *store.Account) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# roam root credentials for account %s. Keep this file secret.\n", a.ID)
	fmt.Fprintf(&b, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n", a.RootAccessKeyID, a.RootSecretAccessKey, a.Region)
	return []byte(b.String())
}

// writeAdminCredentials writes the file when it is missing or stale.
func writeAdminCredentials(path string, a *store.Account) error {
	want := AdminCredentials(a)
	if got, err := os.ReadFile(path); err == nil && string(got) == string(want) {
		return nil
	}
	if err := fsutil.WriteFileAtomic(path, want, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
