package rolesanywhere

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/policy"
	"github.com/roam-dev/roam/internal/store"
)

const (
	defaultDurationSeconds = 3600
	minDurationSeconds     = 900
	maxDurationSeconds     = 43200

	fieldSubject = "x509Subject"
	fieldIssuer  = "x509Issuer"
	fieldSAN     = "x509SAN"
)

// DefaultAttributeMappings are the mappings a new profile starts with.
func DefaultAttributeMappings() []store.AttributeMapping {
	rules := func(specs ...string) []store.MappingRule {
		out := make([]store.MappingRule, len(specs))
		for i, s := range specs {
			out[i] = store.MappingRule{Specifier: s}
		}
		return out
	}
	return []store.AttributeMapping{
		{CertificateField: fieldIssuer, MappingRules: rules("*")},
		{CertificateField: fieldSAN, MappingRules: rules("DNS", "URI", "Name/*")},
		{CertificateField: fieldSubject, MappingRules: rules("*")},
	}
}

type profileFields struct {
	Name                  *string  `json:"name"`
	SessionPolicy         *string  `json:"sessionPolicy"`
	RoleArns              []string `json:"roleArns"`
	ManagedPolicyArns     []string `json:"managedPolicyArns"`
	DurationSeconds       *int64   `json:"durationSeconds"`
	AcceptRoleSessionName *bool    `json:"acceptRoleSessionName"`
}

func (f *profileFields) validate(v *validator, update bool) {
	if f.Name != nil || !update {
		if v.required("name", f.Name != nil) {
			v.str("name", *f.Name, 1, 255, &namePattern)
		}
	}
	if f.SessionPolicy != nil {
		if update {
			v.str("sessionPolicy", *f.SessionPolicy, 1, 100000, nil)
		}
	}
	if f.RoleArns != nil || !update {
		if v.required("roleArns", f.RoleArns != nil) {
			v.listLen("roleArns", len(f.RoleArns), 0, 250)
			for i, a := range f.RoleArns {
				v.str(fmt.Sprintf("roleArns.%d.member", i+1), a, 1, 1011, &roleArnPattern)
			}
		}
	}
	if f.ManagedPolicyArns != nil {
		v.listLen("managedPolicyArns", len(f.ManagedPolicyArns), 0, 50)
		for i, a := range f.ManagedPolicyArns {
			v.str(fmt.Sprintf("managedPolicyArns.%d.member", i+1), a, 1, 200, nil)
		}
	}
	if f.DurationSeconds != nil {
		v.intRange("durationSeconds", *f.DurationSeconds, minDurationSeconds, maxDurationSeconds)
	}
}

// checkSessionPolicy applies the rules beyond the model's constraints.
func checkSessionPolicy(p *string) error {
	if p == nil || *p == "" {
		return nil
	}
	if _, err := policy.ParseString(*p, policy.IdentityPolicy); err != nil {
		return apierror.Validation("Invalid sessionPolicy: %v", err)
	}
	return nil
}

type createProfileInput struct {
	profileFields
	RequireInstanceProperties *bool     `json:"requireInstanceProperties"`
	Enabled                   *bool     `json:"enabled"`
	Tags                      []tagWire `json:"tags"`
}

func (h *Handler) createProfile(w http.ResponseWriter, r *http.Request) error {
	var in createProfileInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	in.validate(&v, false)
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkSessionPolicy(in.SessionPolicy); err != nil {
		return err
	}
	if err := h.authorize(r, "CreateProfile", "*", requestTags(in.Tags)); err != nil {
		return err
	}
	if err := h.authorizePassRoles(r, in.RoleArns); err != nil {
		return err
	}
	now := h.now().UTC()
	p := &store.Profile{
		ID:                        newID(),
		Name:                      *in.Name,
		Enabled:                   in.Enabled != nil && *in.Enabled,
		RoleArns:                  slices.Clone(in.RoleArns),
		ManagedPolicyArns:         slices.Clone(in.ManagedPolicyArns),
		DurationSeconds:           defaultDurationSeconds,
		RequireInstanceProperties: in.RequireInstanceProperties != nil && *in.RequireInstanceProperties,
		AcceptRoleSessionName:     in.AcceptRoleSessionName != nil && *in.AcceptRoleSessionName,
		AttributeMappings:         DefaultAttributeMappings(),
		CreatedBy:                 caller(r),
		Tags:                      tagsIn(in.Tags),
		CreatedAt:                 now,
		UpdatedAt:                 now,
	}
	if in.SessionPolicy != nil {
		p.SessionPolicy = *in.SessionPolicy
	}
	if in.DurationSeconds != nil {
		p.DurationSeconds = int32(*in.DurationSeconds)
	}
	if err := h.store.CreateProfile(r.Context(), p); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, profileResponse{h.profileOut(p)})
	return nil
}

// authorizePassRoles requires iam:PassRole for every role put into a
// profile, as AWS does.
func (h *Handler) authorizePassRoles(r *http.Request, roleArns []string) error {
	for _, a := range roleArns {
		if err := h.authz.Authorize(r.Context(), passRole(a)); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) getProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "GetProfile", h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	p, err := h.store.GetProfile(r.Context(), id)
	if err != nil {
		return storeError(err, "Profile")
	}
	httpapi.WriteJSON(w, http.StatusOK, profileResponse{h.profileOut(p)})
	return nil
}

func (h *Handler) listProfiles(w http.ResponseWriter, r *http.Request) error {
	page, err := listPage(r)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ListProfiles", "*", nil); err != nil {
		return err
	}
	items, next, err := h.store.ListProfiles(r.Context(), page)
	if err != nil {
		return storeError(err, "Profile")
	}
	out := listProfilesResponse{Profiles: make([]profileDetail, 0, len(items)), NextToken: next}
	for _, p := range items {
		out.Profiles = append(out.Profiles, h.profileOut(p))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) updateProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	var in profileFields
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	in.validate(&v, true)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkSessionPolicy(in.SessionPolicy); err != nil {
		return err
	}
	if err := h.authorize(r, "UpdateProfile", h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	if err := h.authorizePassRoles(r, in.RoleArns); err != nil {
		return err
	}
	return h.changeProfile(w, r, id, func(p *store.Profile) error {
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.SessionPolicy != nil {
			p.SessionPolicy = *in.SessionPolicy
		}
		if in.RoleArns != nil {
			p.RoleArns = slices.Clone(in.RoleArns)
		}
		if in.ManagedPolicyArns != nil {
			p.ManagedPolicyArns = slices.Clone(in.ManagedPolicyArns)
		}
		if in.DurationSeconds != nil {
			p.DurationSeconds = int32(*in.DurationSeconds)
		}
		if in.AcceptRoleSessionName != nil {
			p.AcceptRoleSessionName = *in.AcceptRoleSessionName
		}
		return nil
	})
}

// changeProfile applies change to the profile and answers with the result.
func (h *Handler) changeProfile(w http.ResponseWriter, r *http.Request, id string, change func(*store.Profile) error) error {
	now := h.now().UTC()
	p, err := h.store.UpdateProfile(r.Context(), id, func(p *store.Profile) error {
		if err := change(p); err != nil {
			return err
		}
		p.UpdatedAt = now
		return nil
	})
	if err != nil {
		return storeError(err, "Profile")
	}
	httpapi.WriteJSON(w, http.StatusOK, profileResponse{h.profileOut(p)})
	return nil
}

func (h *Handler) deleteProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "DeleteProfile", h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	p, err := h.store.DeleteProfile(r.Context(), id)
	if err != nil {
		return storeError(err, "Profile")
	}
	httpapi.WriteJSON(w, http.StatusOK, profileResponse{h.profileOut(p)})
	return nil
}

func (h *Handler) enableProfile(w http.ResponseWriter, r *http.Request) error {
	return h.setProfileEnabled(w, r, "EnableProfile", true)
}

func (h *Handler) disableProfile(w http.ResponseWriter, r *http.Request) error {
	return h.setProfileEnabled(w, r, "DisableProfile", false)
}

func (h *Handler) setProfileEnabled(w http.ResponseWriter, r *http.Request, action string, enabled bool) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, action, h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	if enabled {
		// Enabling a profile passes its roles again, as on AWS.
		p, err := h.store.GetProfile(r.Context(), id)
		if err != nil {
			return storeError(err, "Profile")
		}
		if err := h.authorizePassRoles(r, p.RoleArns); err != nil {
			return err
		}
	}
	return h.changeProfile(w, r, id, func(p *store.Profile) error {
		p.Enabled = enabled
		return nil
	})
}

// Attribute mappings.

type putAttributeMappingInput struct {
	CertificateField *string       `json:"certificateField"`
	MappingRules     []mappingRule `json:"mappingRules"`
}

func validateCertificateField(v *validator, field string, s *string) {
	if v.required(field, s != nil) {
		v.enum(field, *s, fieldSubject, fieldIssuer, fieldSAN)
	}
}

// normalizeSpecifier gives equivalent specifiers one spelling: for
// x509SAN, "Name", "Name/" and "Name/*" all mean every directory-name RDN.
func normalizeSpecifier(field, s string) string {
	if field == fieldSAN && (s == "Name" || s == "Name/") {
		return "Name/*"
	}
	return s
}

func (h *Handler) putAttributeMapping(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	var in putAttributeMappingInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	validateCertificateField(&v, "certificateField", in.CertificateField)
	if v.required("mappingRules", in.MappingRules != nil) {
		for i, m := range in.MappingRules {
			f := fmt.Sprintf("mappingRules.%d.member.specifier", i+1)
			if v.required(f, m.Specifier != nil) {
				v.str(f, *m.Specifier, 0, 60, nil)
			}
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := h.authorize(r, "PutAttributeMapping", h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	field := *in.CertificateField
	var rules []store.MappingRule
	for _, m := range in.MappingRules {
		s := normalizeSpecifier(field, *m.Specifier)
		if !slices.Contains(rules, store.MappingRule{Specifier: s}) {
			rules = append(rules, store.MappingRule{Specifier: s})
		}
	}
	return h.changeProfile(w, r, id, func(p *store.Profile) error {
		i := slices.IndexFunc(p.AttributeMappings, func(m store.AttributeMapping) bool { return m.CertificateField == field })
		if i >= 0 {
			p.AttributeMappings[i].MappingRules = rules
		} else {
			p.AttributeMappings = append(p.AttributeMappings, store.AttributeMapping{CertificateField: field, MappingRules: rules})
			slices.SortFunc(p.AttributeMappings, func(a, b store.AttributeMapping) int { return strings.Compare(a.CertificateField, b.CertificateField) })
		}
		return nil
	})
}

func (h *Handler) deleteAttributeMapping(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "profileId")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v validator
	var field *string
	if q.Has("certificateField") {
		f := q.Get("certificateField")
		field = &f
	}
	validateCertificateField(&v, "certificateField", field)
	if err := v.err(); err != nil {
		return err
	}
	if err := h.authorize(r, "DeleteAttributeMapping", h.scope.RolesAnywhere("profile", id), nil); err != nil {
		return err
	}
	specifiers := q["specifiers"]
	return h.changeProfile(w, r, id, func(p *store.Profile) error {
		i := slices.IndexFunc(p.AttributeMappings, func(m store.AttributeMapping) bool { return m.CertificateField == *field })
		if i < 0 {
			return nil
		}
		if len(specifiers) == 0 {
			p.AttributeMappings = slices.Delete(p.AttributeMappings, i, i+1)
			return nil
		}
		m := &p.AttributeMappings[i]
		m.MappingRules = slices.DeleteFunc(m.MappingRules, func(rule store.MappingRule) bool {
			for _, s := range specifiers {
				if rule.Specifier == normalizeSpecifier(*field, s) {
					return true
				}
			}
			return false
		})
		return nil
	})
}
