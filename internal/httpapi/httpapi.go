// Package httpapi holds what every roam API handler shares: the
// per-request record that the access log and audit read, and the wire
// encodings of AWS's two protocols (rest-json for Roles Anywhere, the query
// protocol with XML answers for IAM and STS).
package httpapi

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/roam-dev/roam/internal/apierror"
)

// Request is the per-request record shared by middleware and handlers.
type Request struct {
	ID string
	// Service and Operation name the API call ("rolesanywhere",
	// "CreateProfile"); set by the handler that recognises it.
	Service   string
	Operation string
	// Caller is the principal's ARN once authenticated.
	Caller string
	// SourceIP, UserAgent and Secure (TLS) describe the connection, and
	// Region the region the request was signed for: the global condition
	// keys aws:SourceIp, aws:UserAgent, aws:SecureTransport and
	// aws:RequestedRegion.
	SourceIP  string
	UserAgent string
	Secure    bool
	Region    string
	// Err is the error the handler answered with, for the access log.
	Err *apierror.Error
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request record; never nil (a throwaway record
// when the middleware did not install one, e.g. in unit tests).
func RequestFrom(ctx context.Context) *Request {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok {
		return r
	}
	return &Request{}
}

// RemoteIP is the client's address without the port.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SetOperation names the API call being served.
func SetOperation(r *http.Request, service, op string) {
	rr := RequestFrom(r.Context())
	rr.Service, rr.Operation = service, op
}

// MaxBodyBytes bounds every request body: the largest legitimate one is an
// ImportCrl of 300000 bytes, base64-encoded inside JSON.
const MaxBodyBytes = 1 << 20

// ReadBody reads the whole request body, refusing one over limit bytes.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apierror.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request body larger than %d bytes", limit)
		}
		return nil, apierror.New(http.StatusBadRequest, "SerializationException", "could not read the request body").WithCause(err)
	}
	return body, nil
}

// DecodeJSON decodes a rest-json request body into v. An empty body is
// an empty object. Unknown members are ignored, as AWS does.
func DecodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return apierror.New(http.StatusBadRequest, "SerializationException", "Value at '%s' has the wrong type: expected %s", typeErr.Field, typeErr.Type)
		}
		return apierror.New(http.StatusBadRequest, "SerializationException", "Request body is not valid JSON").WithCause(err)
	}
	return nil
}

// WriteJSON writes a rest-json success response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only programming errors reach here: our wire types always marshal.
		panic(fmt.Sprintf("httpapi: marshal response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteJSONError writes err as a rest-json error: the status, the code in
// X-Amzn-ErrorType and {"message": ...}. The error is recorded for the
// access log; its cause and detail never reach the caller.
func WriteJSONError(w http.ResponseWriter, r *http.Request, err error) {
	e := apierror.As(err)
	RequestFrom(r.Context()).Err = e
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	WriteJSON(w, e.Status, struct {
		Message string `json:"message"`
	}{e.Message})
}

// ReadParams returns a query-protocol request's parameters: the query
// string, overridden by the form body of a POST.
func ReadParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, malformedQuery(err)
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		body, err := ReadBody(w, r, MaxBodyBytes)
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, malformedQuery(err)
		}
		for k, v := range form {
			params[k] = v
		}
	default:
		return nil, apierror.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "The HTTP method %s is not allowed; the query protocol uses GET or POST.", r.Method)
	}
	return params, nil
}

func malformedQuery(cause error) error {
	return apierror.New(http.StatusBadRequest, "MalformedQueryString", "The query string contains a syntax error.").WithCause(cause)
}

// WriteXML writes a query-protocol success response: <Action>Response with
// its <Action>Result (omitted when result is nil) and ResponseMetadata.
func WriteXML(w http.ResponseWriter, r *http.Request, namespace, action string, result any) {
	type metadata struct {
		RequestID string `xml:"RequestId"`
	}
	type envelope struct {
		XMLName  xml.Name
		Xmlns    string   `xml:"xmlns,attr"`
		Result   any      `xml:",omitempty"`
		Metadata metadata `xml:"ResponseMetadata"`
	}
	env := envelope{XMLName: xml.Name{Local: action + "Response"}, Xmlns: namespace, Metadata: metadata{RequestFrom(r.Context()).ID}}
	if result != nil {
		env.Result = resultElement{name: action + "Result", v: result}
	}
	writeXML(w, http.StatusOK, env)
}

// resultElement renders v under a dynamic element name.
type resultElement struct {
	name string
	v    any
}

func (e resultElement) MarshalXML(enc *xml.Encoder, _ xml.StartElement) error {
	return enc.EncodeElement(e.v, xml.StartElement{Name: xml.Name{Local: e.name}})
}

// WriteXMLError writes err as a query-protocol ErrorResponse.
func WriteXMLError(w http.ResponseWriter, r *http.Request, namespace string, err error) {
	e := apierror.As(err)
	rr := RequestFrom(r.Context())
	rr.Err = e
	typ := "Sender"
	if !e.Sender {
		typ = "Receiver"
	}
	type xmlError struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type envelope struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     xmlError `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	code := e.Code
	if code == "AccessDeniedException" {
		// The query protocol's name for the same denial.
		code = "AccessDenied"
	}
	writeXML(w, e.Status, envelope{Xmlns: namespace, Error: xmlError{typ, code, e.Message}, RequestID: rr.ID})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("httpapi: marshal XML response: %v", err))
	}
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
