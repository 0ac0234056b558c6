package iam

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

func TestListMembers(t *testing.T) {
	tests := []struct {
		name        string
		query       string
		want        []store.Tag
		wantPresent bool
		wantErrs    []string
	}{
		{name: "ok/absent", query: "RoleName=r"},
		{name: "ok/empty list", query: "Tags=", want: []store.Tag{}, wantPresent: true},
		{
			name: "ok/in index order", query: "Tags.member.10.Key=c&Tags.member.10.Value=3&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=",
			want: []store.Tag{{Key: "a"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}}, wantPresent: true,
		},
		{
			name: "ok/not members", query: "Tags.member.0.Key=x&Tags.member.01.Key=y&Tags.member.-1.Key=z&Tags.member.one.Key=w&Tags.members.1.Key=v",
			wantPresent: false,
		},
		{
			name: "error/member without key", query: "Tags.member.1.Value=v&Tags.member.2.Key=k&Tags.member.2.Value=w",
			want: []store.Tag{{Value: "v"}, {Key: "k", Value: "w"}}, wantPresent: true,
			wantErrs: []string{"Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			f := &form{values: v}
			got, present := f.tags("Tags", false)
			if !reflect.DeepEqual(got, tt.want) || present != tt.wantPresent || !reflect.DeepEqual(f.errs, tt.wantErrs) {
				t.Errorf("got %#v %v %q, want %#v %v %q", got, present, f.errs, tt.want, tt.wantPresent, tt.wantErrs)
			}
		})
	}
}

// FuzzForm feeds untrusted form bodies to every parameter reader: none may
// panic, what they return must come from the input, and violations are
// reported in IAM's format.
func FuzzForm(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateRole&RoleName=r&Path=/a/&MaxSessionDuration=3600&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"TagKeys.member.1=a&TagKeys.member.3=b&TagKeys=",
		"Tags.member.99999999999999999999.Key=x&Tags.member.1.Key=%FF&MaxItems=-5&OnlyAttached=TRUE",
		"Scope=AWS&Marker=%00&PathPrefix=/&RoleName=" + strings.Repeat("x", 70),
		"Tags.member.1=&Tags.member.1.Key.Extra=x&Tags.member..Key=",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		values, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		fm := &form{values: values}
		name, _ := fm.str("RoleName", roleNameRule, true)
		fm.str("Path", rolePathRule, false)
		fm.integer("MaxSessionDuration", sessionDurationRule)
		fm.boolean("OnlyAttached")
		fm.enum("Scope", "All", "AWS", "Local")
		_, maxItems := fm.page()
		tags, _ := fm.tags("Tags", false)
		keys, _ := fm.strList("TagKeys", tagKeyRule, maxTags, false)

		if maxItems < 1 || maxItems > 1000 {
			t.Errorf("MaxItems %d out of range", maxItems)
		}
		if len(tags) > maxTags || len(keys) > maxTags {
			t.Errorf("%d tags and %d keys accepted, at most %d", len(tags), len(keys), maxTags)
		}
		if got := values.Get("RoleName"); name != got {
			t.Errorf("RoleName %q, sent %q", name, got)
		}
		for _, tag := range tags {
			if tag.Key != "" && !sentValue(values, tag.Key) {
				t.Errorf("tag key %q was not in the request", tag.Key)
			}
		}
		err = fm.err()
		if (err == nil) != (len(fm.errs) == 0) {
			t.Fatalf("err %v with %d violations", err, len(fm.errs))
		}
		if err != nil && !strings.Contains(err.Error(), "validation error") {
			t.Errorf("violations reported as %v", err)
		}
		if err == nil && !roleNamePattern.re().MatchString(name) {
			t.Errorf("role name %q accepted", name)
		}
	})
}

func sentValue(values url.Values, s string) bool {
	for _, vs := range values {
		for _, v := range vs {
			if v == s {
				return true
			}
		}
	}
	return false
}

// FuzzEncodeDocument checks that documents come back exactly after
// decoding and that the encoding leaves only RFC 3986's unreserved
// characters and %XX escapes.
func FuzzEncodeDocument(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	f.Add("tab\there\nnewline é ~-._ +&=%")
	f.Add("\xff\x00")
	f.Fuzz(func(t *testing.T, doc string) {
		enc := encodeDocument(doc)
		dec, err := url.PathUnescape(enc)
		if err != nil || dec != doc {
			t.Fatalf("%q encodes to %q, which decodes to %q (%v)", doc, enc, dec, err)
		}
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; !unreserved(c) && c != '%' {
				t.Fatalf("%q encodes to %q, which holds %q", doc, enc, c)
			}
		}
	})
}

func TestPaginate(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	var got []string
	marker := ""
	for pages := 1; ; pages++ {
		p, err := paginate(items, id, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.items...)
		if p.marker == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		marker = p.marker
		// An item removed between pages does not shift the next page.
		if pages == 1 {
			items = []string{"a", "c", "d", "e"}
		}
	}
	if strings.Join(got, "") != "abcde" {
		t.Errorf("pages hold %v", got)
	}
	if _, err := paginate(items, id, "!!", 2); err != errInvalidMarker {
		t.Errorf("a forged marker gave %v", err)
	}
}
