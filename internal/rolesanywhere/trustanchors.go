package rolesanywhere

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/trust"
)

const (
	sourceBundle     = "CERTIFICATE_BUNDLE"
	sourceAcmPca     = "AWS_ACM_PCA"
	sourceSelfSigned = "SELF_SIGNED_REPOSITORY"

	eventCAExpiry        = "CA_CERTIFICATE_EXPIRY"
	eventEndEntityExpiry = "END_ENTITY_CERTIFICATE_EXPIRY"
	channelAll           = "ALL"
	// defaultThreshold is the default number of days before expiry.
	defaultThreshold = 45
	// serviceConfigured is configuredBy for default notification settings.
	serviceConfigured = "rolesanywhere.amazonaws.com"
)

// maxCertificateData is the model's limit on x509CertificateData.
const maxCertificateData = 204800

// validateSource checks a trust anchor source, returning the validated
// type and data.
func validateSource(v *validator, field string, s *source) (typ, data string) {
	if !v.required(field+".sourceType", s.SourceType != nil) || !v.required(field+".sourceData", s.SourceData != nil) {
		return "", ""
	}
	typ = *s.SourceType
	v.enum(field+".sourceType", typ, sourceAcmPca, sourceBundle, sourceSelfSigned)
	sd := s.SourceData
	set := 0
	if sd.X509CertificateData != nil {
		set++
		data = *sd.X509CertificateData
		v.str(field+".sourceData.x509CertificateData", data, 1, maxCertificateData, nil)
	}
	if sd.AcmPcaArn != nil {
		set++
		data = *sd.AcmPcaArn
	}
	if set != 1 {
		v.fail(field+".sourceData", fmt.Sprintf("{%d members}", set), "have exactly one member set")
	}
	return typ, data
}

// checkSource applies the rules beyond the model's constraints.
func checkSource(typ, data string, sd *sourceData) error {
	switch typ {
	case sourceBundle:
		if sd.X509CertificateData == nil {
			return apierror.Validation("A CERTIFICATE_BUNDLE trust anchor needs sourceData.x509CertificateData")
		}
		if _, err := trust.ParseAnchorBundle(data); err != nil {
			return apierror.Validation("Invalid x509CertificateData: %v", err)
		}
		return nil
	case sourceAcmPca:
		return apierror.Validation("AWS_ACM_PCA trust anchors are not supported by roam, which cannot reach AWS Private CA; register the CA certificate as a CERTIFICATE_BUNDLE instead")
	default:
		return apierror.Validation("SELF_SIGNED_REPOSITORY trust anchors are not supported; use CERTIFICATE_BUNDLE")
	}
}

type createTrustAnchorInput struct {
	Name                 *string               `json:"name"`
	Source               *source               `json:"source"`
	Enabled              *bool                 `json:"enabled"`
	Tags                 []tagWire             `json:"tags"`
	NotificationSettings []notificationSetting `json:"notificationSettings"`
}

func (in *createTrustAnchorInput) validate() (typ, data string, err error) {
	var v validator
	if v.required("name", in.Name != nil) {
		v.str("name", *in.Name, 1, 255, &namePattern)
	}
	if v.required("source", in.Source != nil) {
		typ, data = validateSource(&v, "source", in.Source)
	}
	v.tags("tags", in.Tags)
	validateNotificationSettings(&v, "notificationSettings", in.NotificationSettings)
	if err := v.err(); err != nil {
		return "", "", err
	}
	return typ, data, checkSource(typ, data, in.Source.SourceData)
}

func (h *Handler) createTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	var in createTrustAnchorInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	typ, data, err := in.validate()
	if err != nil {
		return err
	}
	if err := h.authorize(r, "CreateTrustAnchor", "*", requestTags(in.Tags)); err != nil {
		return err
	}
	now := h.now().UTC()
	a := &store.TrustAnchor{
		ID:                   newID(),
		Name:                 *in.Name,
		SourceType:           typ,
		SourceData:           data,
		Enabled:              in.Enabled != nil && *in.Enabled,
		NotificationSettings: mergeNotificationSettings(defaultNotificationSettings(), in.NotificationSettings, h.scope.Account),
		Tags:                 tagsIn(in.Tags),
		CreatedAt:            now,
		UpdatedAt:            now,
	}
	if err := h.store.CreateTrustAnchor(r.Context(), a); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, trustAnchorResponse{h.trustAnchorOut(a)})
	return nil
}

func (h *Handler) getTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "trustAnchorId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "GetTrustAnchor", h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	a, err := h.store.GetTrustAnchor(r.Context(), id)
	if err != nil {
		return storeError(err, "Trust anchor")
	}
	httpapi.WriteJSON(w, http.StatusOK, trustAnchorResponse{h.trustAnchorOut(a)})
	return nil
}

func (h *Handler) listTrustAnchors(w http.ResponseWriter, r *http.Request) error {
	page, err := listPage(r)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ListTrustAnchors", "*", nil); err != nil {
		return err
	}
	items, next, err := h.store.ListTrustAnchors(r.Context(), page)
	if err != nil {
		return storeError(err, "Trust anchor")
	}
	out := listTrustAnchorsResponse{TrustAnchors: make([]trustAnchorDetail, 0, len(items)), NextToken: next}
	for _, a := range items {
		out.TrustAnchors = append(out.TrustAnchors, h.trustAnchorOut(a))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

type updateTrustAnchorInput struct {
	Name   *string `json:"name"`
	Source *source `json:"source"`
}

func (h *Handler) updateTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "trustAnchorId")
	if err != nil {
		return err
	}
	var in updateTrustAnchorInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	v.optStr("name", in.Name, 1, 255, &namePattern)
	var typ, data string
	if in.Source != nil {
		typ, data = validateSource(&v, "source", in.Source)
	}
	if err := v.err(); err != nil {
		return err
	}
	if in.Source != nil {
		if err := checkSource(typ, data, in.Source.SourceData); err != nil {
			return err
		}
	}
	if err := h.authorize(r, "UpdateTrustAnchor", h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	return h.updateAnchor(w, r, id, func(a *store.TrustAnchor) error {
		if in.Name != nil {
			a.Name = *in.Name
		}
		if in.Source != nil {
			a.SourceType, a.SourceData = typ, data
		}
		return nil
	})
}

// updateAnchor applies change to the anchor and answers with the result.
func (h *Handler) updateAnchor(w http.ResponseWriter, r *http.Request, id string, change func(*store.TrustAnchor) error) error {
	now := h.now().UTC()
	a, err := h.store.UpdateTrustAnchor(r.Context(), id, func(a *store.TrustAnchor) error {
		if err := change(a); err != nil {
			return err
		}
		a.UpdatedAt = now
		return nil
	})
	if err != nil {
		return storeError(err, "Trust anchor")
	}
	httpapi.WriteJSON(w, http.StatusOK, trustAnchorResponse{h.trustAnchorOut(a)})
	return nil
}

func (h *Handler) deleteTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "trustAnchorId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "DeleteTrustAnchor", h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	a, err := h.store.DeleteTrustAnchor(r.Context(), id)
	if err != nil {
		return storeError(err, "Trust anchor")
	}
	httpapi.WriteJSON(w, http.StatusOK, trustAnchorResponse{h.trustAnchorOut(a)})
	return nil
}

func (h *Handler) enableTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	return h.setTrustAnchorEnabled(w, r, "EnableTrustAnchor", true)
}

func (h *Handler) disableTrustAnchor(w http.ResponseWriter, r *http.Request) error {
	return h.setTrustAnchorEnabled(w, r, "DisableTrustAnchor", false)
}

func (h *Handler) setTrustAnchorEnabled(w http.ResponseWriter, r *http.Request, action string, enabled bool) error {
	id, err := pathID(r, "trustAnchorId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, action, h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	return h.updateAnchor(w, r, id, func(a *store.TrustAnchor) error {
		a.Enabled = enabled
		return nil
	})
}

// Notification settings.

func validateNotificationSettings(v *validator, field string, ns []notificationSetting) {
	v.listLen(field, len(ns), 0, 50)
	for i, n := range ns {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		v.required(f+".enabled", n.Enabled != nil)
		if v.required(f+".event", n.Event != nil) {
			v.enum(f+".event", *n.Event, eventCAExpiry, eventEndEntityExpiry)
		}
		if n.Threshold != nil {
			v.intRange(f+".threshold", int64(*n.Threshold), 1, 360)
		}
		if n.Channel != nil {
			v.enum(f+".channel", *n.Channel, channelAll)
		}
	}
}

func defaultNotificationSettings() []store.NotificationSetting {
	th := func() *int32 { t := int32(defaultThreshold); return &t }
	return []store.NotificationSetting{
		{Enabled: true, Event: eventCAExpiry, Threshold: th(), Channel: channelAll, ConfiguredBy: serviceConfigured},
		{Enabled: true, Event: eventEndEntityExpiry, Threshold: th(), Channel: channelAll, ConfiguredBy: serviceConfigured},
	}
}

// mergeNotificationSettings applies customised settings over current ones,
// matching by event and channel (a missing channel means ALL).
func mergeNotificationSettings(current []store.NotificationSetting, in []notificationSetting, account string) []store.NotificationSetting {
	out := slices.Clone(current)
	for _, n := range in {
		ch := channelAll
		if n.Channel != nil {
			ch = *n.Channel
		}
		s := store.NotificationSetting{Enabled: *n.Enabled, Event: *n.Event, Channel: ch, ConfiguredBy: account, Threshold: n.Threshold}
		if s.Threshold == nil {
			t := int32(defaultThreshold)
			s.Threshold = &t
		}
		i := slices.IndexFunc(out, func(o store.NotificationSetting) bool { return o.Event == s.Event && o.Channel == s.Channel })
		if i >= 0 {
			out[i] = s
		} else {
			out = append(out, s)
		}
	}
	return out
}

type putNotificationSettingsInput struct {
	TrustAnchorID        *string               `json:"trustAnchorId"`
	NotificationSettings []notificationSetting `json:"notificationSettings"`
}

func (h *Handler) putNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	var in putNotificationSettingsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	if v.required("trustAnchorId", in.TrustAnchorID != nil) {
		v.id("trustAnchorId", *in.TrustAnchorID)
	}
	if v.required("notificationSettings", in.NotificationSettings != nil) {
		validateNotificationSettings(&v, "notificationSettings", in.NotificationSettings)
	}
	if err := v.err(); err != nil {
		return err
	}
	id := *in.TrustAnchorID
	if err := h.authorize(r, "PutNotificationSettings", h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	return h.updateAnchor(w, r, id, func(a *store.TrustAnchor) error {
		a.NotificationSettings = mergeNotificationSettings(a.NotificationSettings, in.NotificationSettings, h.scope.Account)
		return nil
	})
}

type notificationSettingKey struct {
	Event   *string `json:"event"`
	Channel *string `json:"channel"`
}

type resetNotificationSettingsInput struct {
	TrustAnchorID           *string                  `json:"trustAnchorId"`
	NotificationSettingKeys []notificationSettingKey `json:"notificationSettingKeys"`
}

func (h *Handler) resetNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	var in resetNotificationSettingsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	if v.required("trustAnchorId", in.TrustAnchorID != nil) {
		v.id("trustAnchorId", *in.TrustAnchorID)
	}
	if v.required("notificationSettingKeys", in.NotificationSettingKeys != nil) {
		v.listLen("notificationSettingKeys", len(in.NotificationSettingKeys), 0, 50)
		for i, k := range in.NotificationSettingKeys {
			f := fmt.Sprintf("notificationSettingKeys.%d.member", i+1)
			if v.required(f+".event", k.Event != nil) {
				v.enum(f+".event", *k.Event, eventCAExpiry, eventEndEntityExpiry)
			}
			if k.Channel != nil {
				v.enum(f+".channel", *k.Channel, channelAll)
			}
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	id := *in.TrustAnchorID
	if err := h.authorize(r, "ResetNotificationSettings", h.scope.RolesAnywhere("trust-anchor", id), nil); err != nil {
		return err
	}
	return h.updateAnchor(w, r, id, func(a *store.TrustAnchor) error {
		defaults := defaultNotificationSettings()
		for _, k := range in.NotificationSettingKeys {
			ch := channelAll
			if k.Channel != nil {
				ch = *k.Channel
			}
			d := slices.IndexFunc(defaults, func(s store.NotificationSetting) bool { return s.Event == *k.Event && s.Channel == ch })
			i := slices.IndexFunc(a.NotificationSettings, func(s store.NotificationSetting) bool { return s.Event == *k.Event && s.Channel == ch })
			switch {
			case i >= 0 && d >= 0:
				a.NotificationSettings[i] = defaults[d]
			case i >= 0:
				a.NotificationSettings = slices.Delete(a.NotificationSettings, i, i+1)
			case d >= 0:
				a.NotificationSettings = append(a.NotificationSettings, defaults[d])
			}
		}
		return nil
	})
}

// requestTags returns the aws:RequestTag/* and aws:TagKeys condition keys
// for tags in a request.
func requestTags(tags []tagWire) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string][]string{}
	for _, t := range tags {
		ctx["aws:RequestTag/"+*t.Key] = []string{*t.Value}
		ctx["aws:TagKeys"] = append(ctx["aws:TagKeys"], *t.Key)
	}
	return ctx
}

// decode reads and decodes a JSON request body.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := httpapi.ReadBody(w, r, httpapi.MaxBodyBytes)
	if err != nil {
		return err
	}
	return httpapi.DecodeJSON(body, v)
}
