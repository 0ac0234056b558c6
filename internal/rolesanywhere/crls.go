package rolesanywhere

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/trust"
)

const (
	// maxCRLData is the model's limit on crlData, in bytes.
	maxCRLData = 300000
	// maxCRLsPerAnchor is AWS's quota "CRLs per trust anchor".
	maxCRLsPerAnchor = 2
)

type crlDetail struct {
	CrlID          string    `json:"crlId"`
	CrlArn         string    `json:"crlArn"`
	Name           string    `json:"name"`
	Enabled        bool      `json:"enabled"`
	CrlData        []byte    `json:"crlData"` // base64 in JSON
	TrustAnchorArn string    `json:"trustAnchorArn"`
	CreatedAt      timestamp `json:"createdAt"`
	UpdatedAt      timestamp `json:"updatedAt"`
}

type crlResponse struct {
	Crl crlDetail `json:"crl"`
}

type listCrlsResponse struct {
	Crls      []crlDetail `json:"crls"`
	NextToken string      `json:"nextToken,omitempty"`
}

func (h *Handler) crlOut(c *store.CRL) crlDetail {
	return crlDetail{
		CrlID:          c.ID,
		CrlArn:         h.scope.RolesAnywhere("crl", c.ID),
		Name:           c.Name,
		Enabled:        c.Enabled,
		CrlData:        c.Data,
		TrustAnchorArn: h.scope.RolesAnywhere("trust-anchor", c.TrustAnchorID),
		CreatedAt:      timestamp(c.CreatedAt),
		UpdatedAt:      timestamp(c.UpdatedAt),
	}
}

// blob is a JSON blob member: base64 text, decoded, remembering whether
// it was present.
type blob struct {
	set  bool
	data []byte
}

func (b *blob) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	b.set = true
	return json.Unmarshal(raw, &b.data)
}

type importCrlInput struct {
	Name           *string   `json:"name"`
	CrlData        blob      `json:"crlData"`
	Enabled        *bool     `json:"enabled"`
	Tags           []tagWire `json:"tags"`
	TrustAnchorArn *string   `json:"trustAnchorArn"`
}

// checkCRL parses data as a CRL (PEM or DER) and checks it is signed by a
// certificate of the trust anchor.
func (h *Handler) checkCRL(ctx context.Context, data []byte, anchorID string) error {
	crl, err := trust.ParseCRL(data)
	if err != nil {
		return apierror.Validation("Invalid crlData: %v", err)
	}
	a, err := h.store.GetTrustAnchor(ctx, anchorID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierror.Validation("Trust anchor %s not found", anchorID)
		}
		return err
	}
	certs, err := trust.ParseAnchorBundle(a.SourceData)
	if err != nil {
		return apierror.Validation("The trust anchor holds no usable certificate: %v", err)
	}
	if _, err := trust.CRLIssuer(crl, certs); err != nil {
		return apierror.Validation("%v", err)
	}
	return nil
}

// anchorIDFromArn returns the ID of a trust anchor ARN of this account.
func (h *Handler) anchorIDFromArn(s string) (string, error) {
	a, err := arn.Parse(s)
	if err != nil || a.ResourceType() != "trust-anchor" || a.Account != h.scope.Account || a.Region != h.scope.Region {
		return "", apierror.Validation("trustAnchorArn %s is not a trust anchor of account %s in %s", truncate(s), h.scope.Account, h.scope.Region)
	}
	return a.ResourceID(), nil
}

func (h *Handler) importCrl(w http.ResponseWriter, r *http.Request) error {
	var in importCrlInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	if v.required("name", in.Name != nil) {
		v.str("name", *in.Name, 1, 255, &namePattern)
	}
	if v.required("crlData", in.CrlData.set) {
		v.listLen("crlData", len(in.CrlData.data), 1, maxCRLData)
	}
	if v.required("trustAnchorArn", in.TrustAnchorArn != nil) {
		v.str("trustAnchorArn", *in.TrustAnchorArn, 1, 1011, &trustAnchorArnPattn)
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return err
	}
	anchorID, err := h.anchorIDFromArn(*in.TrustAnchorArn)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ImportCrl", "*", requestTags(in.Tags)); err != nil {
		return err
	}
	if err := h.checkCRL(r.Context(), in.CrlData.data, anchorID); err != nil {
		return err
	}
	n, err := h.store.CountCRLsForTrustAnchor(r.Context(), anchorID)
	if err != nil {
		return err
	}
	if n >= maxCRLsPerAnchor {
		return apierror.Validation("The trust anchor already has %d CRLs, the most one trust anchor may have", n)
	}
	now := h.now().UTC()
	c := &store.CRL{
		ID: newID(), Name: *in.Name, Enabled: in.Enabled != nil && *in.Enabled,
		Data: in.CrlData.data, TrustAnchorID: anchorID, Tags: tagsIn(in.Tags),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := h.store.CreateCRL(r.Context(), c); err != nil {
		return storeError(err, "Trust anchor")
	}
	httpapi.WriteJSON(w, http.StatusCreated, crlResponse{h.crlOut(c)})
	return nil
}

func (h *Handler) getCrl(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "crlId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "GetCrl", h.scope.RolesAnywhere("crl", id), nil); err != nil {
		return err
	}
	c, err := h.store.GetCRL(r.Context(), id)
	if err != nil {
		return storeError(err, "CRL")
	}
	httpapi.WriteJSON(w, http.StatusOK, crlResponse{h.crlOut(c)})
	return nil
}

func (h *Handler) listCrls(w http.ResponseWriter, r *http.Request) error {
	page, err := listPage(r)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ListCrls", "*", nil); err != nil {
		return err
	}
	items, next, err := h.store.ListCRLs(r.Context(), page)
	if err != nil {
		return storeError(err, "CRL")
	}
	out := listCrlsResponse{Crls: make([]crlDetail, 0, len(items)), NextToken: next}
	for _, c := range items {
		out.Crls = append(out.Crls, h.crlOut(c))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

type updateCrlInput struct {
	Name    *string `json:"name"`
	CrlData blob    `json:"crlData"`
}

func (h *Handler) updateCrl(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "crlId")
	if err != nil {
		return err
	}
	var in updateCrlInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	v.optStr("name", in.Name, 1, 255, &namePattern)
	if in.CrlData.set {
		v.listLen("crlData", len(in.CrlData.data), 1, maxCRLData)
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := h.authorize(r, "UpdateCrl", h.scope.RolesAnywhere("crl", id), nil); err != nil {
		return err
	}
	if in.CrlData.set {
		c, err := h.store.GetCRL(r.Context(), id)
		if err != nil {
			return storeError(err, "CRL")
		}
		if err := h.checkCRL(r.Context(), in.CrlData.data, c.TrustAnchorID); err != nil {
			return err
		}
	}
	return h.changeCRL(w, r, id, func(c *store.CRL) {
		if in.Name != nil {
			c.Name = *in.Name
		}
		if in.CrlData.set {
			c.Data = in.CrlData.data
		}
	})
}

func (h *Handler) changeCRL(w http.ResponseWriter, r *http.Request, id string, change func(*store.CRL)) error {
	now := h.now().UTC()
	c, err := h.store.UpdateCRL(r.Context(), id, func(c *store.CRL) error {
		change(c)
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return storeError(err, "CRL")
	}
	httpapi.WriteJSON(w, http.StatusOK, crlResponse{h.crlOut(c)})
	return nil
}

func (h *Handler) deleteCrl(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "crlId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "DeleteCrl", h.scope.RolesAnywhere("crl", id), nil); err != nil {
		return err
	}
	c, err := h.store.DeleteCRL(r.Context(), id)
	if err != nil {
		return storeError(err, "CRL")
	}
	httpapi.WriteJSON(w, http.StatusOK, crlResponse{h.crlOut(c)})
	return nil
}

func (h *Handler) enableCrl(w http.ResponseWriter, r *http.Request) error {
	return h.setCRLEnabled(w, r, "EnableCrl", true)
}

func (h *Handler) disableCrl(w http.ResponseWriter, r *http.Request) error {
	return h.setCRLEnabled(w, r, "DisableCrl", false)
}

func (h *Handler) setCRLEnabled(w http.ResponseWriter, r *http.Request, action string, enabled bool) error {
	id, err := pathID(r, "crlId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, action, h.scope.RolesAnywhere("crl", id), nil); err != nil {
		return err
	}
	return h.changeCRL(w, r, id, func(c *store.CRL) { c.Enabled = enabled })
}
