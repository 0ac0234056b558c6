package rolesanywhere

import (
	"net/http"

	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/store"
)

type subjectSummary struct {
	SubjectArn  string    `json:"subjectArn"`
	SubjectID   string    `json:"subjectId"`
	Enabled     bool      `json:"enabled"`
	X509Subject string    `json:"x509Subject"`
	LastSeenAt  timestamp `json:"lastSeenAt"`
	CreatedAt   timestamp `json:"createdAt"`
	UpdatedAt   timestamp `json:"updatedAt"`
}

type credentialSummary struct {
	SeenAt              timestamp `json:"seenAt"`
	SerialNumber        string    `json:"serialNumber"`
	Issuer              string    `json:"issuer"`
	Enabled             bool      `json:"enabled"`
	X509CertificateData string    `json:"x509CertificateData"`
	Failed              bool      `json:"failed"`
}

type instanceProperty struct {
	SeenAt     timestamp         `json:"seenAt"`
	Properties map[string]string `json:"properties"`
	Failed     bool              `json:"failed"`
}

type subjectDetail struct {
	subjectSummary
	Credentials        []credentialSummary `json:"credentials"`
	InstanceProperties []instanceProperty  `json:"instanceProperties"`
}

func (h *Handler) subjectSummaryOut(s *store.Subject) subjectSummary {
	return subjectSummary{
		SubjectArn:  h.scope.RolesAnywhere("subject", s.ID),
		SubjectID:   s.ID,
		Enabled:     s.Enabled,
		X509Subject: s.X509Subject,
		LastSeenAt:  timestamp(s.LastSeenAt),
		CreatedAt:   timestamp(s.CreatedAt),
		UpdatedAt:   timestamp(s.UpdatedAt),
	}
}

func (h *Handler) listSubjects(w http.ResponseWriter, r *http.Request) error {
	page, err := listPage(r)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ListSubjects", "*", nil); err != nil {
		return err
	}
	items, next, err := h.store.ListSubjects(r.Context(), page)
	if err != nil {
		return storeError(err, "Subject")
	}
	out := struct {
		Subjects  []subjectSummary `json:"subjects"`
		NextToken string           `json:"nextToken,omitempty"`
	}{Subjects: make([]subjectSummary, 0, len(items)), NextToken: next}
	for _, s := range items {
		out.Subjects = append(out.Subjects, h.subjectSummaryOut(s))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getSubject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "subjectId")
	if err != nil {
		return err
	}
	if err := h.authorize(r, "GetSubject", h.scope.RolesAnywhere("subject", id), nil); err != nil {
		return err
	}
	s, err := h.store.GetSubject(r.Context(), id)
	if err != nil {
		return storeError(err, "Subject")
	}
	d := subjectDetail{subjectSummary: h.subjectSummaryOut(s), Credentials: []credentialSummary{}, InstanceProperties: []instanceProperty{}}
	for _, c := range s.Credentials {
		d.Credentials = append(d.Credentials, credentialSummary{
			SeenAt: timestamp(c.SeenAt), SerialNumber: c.SerialNumber, Issuer: c.Issuer,
			Enabled: c.Enabled, X509CertificateData: c.CertificatePEM, Failed: c.Failed,
		})
	}
	for _, p := range s.InstanceProperties {
		d.InstanceProperties = append(d.InstanceProperties, instanceProperty{SeenAt: timestamp(p.SeenAt), Properties: p.Properties, Failed: p.Failed})
	}
	httpapi.WriteJSON(w, http.StatusOK, struct {
		Subject subjectDetail `json:"subject"`
	}{d})
	return nil
}
