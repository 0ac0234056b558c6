package session

import (
	"strconv"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/snapshot"
)

// derive works out the session the request asks for, by AWS's rules:
//
//   - duration: the smaller of the profile's durationSeconds and the
//     request's, which must not exceed the role's MaxSessionDuration; the
//     credentials never outlive the certificate path;
//   - session name: the request's roleSessionName when the profile accepts
//     one, else the leaf's serial number in hex;
//   - source identity from the subject CN (or the serial);
//   - session tags from the certificate through the profile's mappings;
//   - the profile's session policy and managed policies.
func derive(snap *snapshot.Snapshot, profile *snapshot.Profile, role *snapshot.Role, ci *certInfo, notAfter time.Time, in input, requested *int64, now time.Time) (*credentials.Session, *denial) {
	name := ci.serialHex
	if in.RoleSessionName != nil {
		if !profile.AcceptRoleSessionName {
			return nil, cannotAssume(role.Arn, "role_session_name.not_accepted", "the request sets roleSessionName %q but the profile %s does not accept role session names (acceptRoleSessionName is false)", *in.RoleSessionName, profile.Arn)
		}
		if !validRoleSessionName(*in.RoleSessionName) {
			return nil, invalid("request.invalid_role_session_name", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}", *in.RoleSessionName)
		}
		name = *in.RoleSessionName
	}

	duration := int64(profile.DurationSeconds)
	if duration == 0 {
		duration = 3600
	}
	if requested != nil && *requested < duration {
		duration = *requested
	}
	if max := int64(role.MaxSessionDuration); max > 0 && duration > max {
		den := cannotAssume(role.Arn, "duration.exceeds_role_max", "the session would last %ds (profile %ds, request %s) but the role's MaxSessionDuration is %ds", duration, profile.DurationSeconds, fmtOpt(requested), max)
		den.err.Message += ". The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
		return nil, den
	}
	exp := now.Add(time.Duration(duration) * time.Second)
	if notAfter.Before(exp) {
		exp = notAfter
	}

	s := &credentials.Session{
		AccountID:      snap.Account.ID,
		RoleName:       role.Name,
		RoleID:         role.ID,
		RolePath:       role.Path,
		SessionName:    name,
		SourceIdentity: ci.sourceIdentity,
		PolicyArns:     profile.ManagedPolicyArns,
		ProfileID:      profile.ID,
		IssuedAt:       now.Unix(),
		Expiration:     exp.Unix(),
	}
	s.SessionPolicy = profile.CompactPolicy
	for _, a := range ci.sessionTags(profile) {
		s.Tags = append(s.Tags, credentials.Tag{Key: a.Key, Value: a.Value})
	}
	if size := packedPolicySize(profile, s.Tags); size > 100 {
		den := cannotAssume(role.Arn, "session.packed_policy_too_large", "the profile's session policy and the certificate's session tags pack to %d%% of STS's limit", size)
		den.err.Message += ". PackedPolicyTooLarge: the session policy and session tags are too large."
		return nil, den
	}
	return s, nil
}

func fmtOpt(n *int64) string {
	if n == nil {
		return "absent"
	}
	return strconv.FormatInt(*n, 10) + "s"
}

// packedSizeLimit is STS's limit on the packed session policies and tags.
const packedSizeLimit = 2048

// packedPolicySize is the session's packed policy and tags as a
// percentage of STS's limit, what AssumeRole reports as PackedPolicySize:
// the deflated session policy plus the tags' keys and values.
func packedPolicySize(p *snapshot.Profile, tags []credentials.Tag) int {
	n := p.PackedPolicy
	for _, t := range tags {
		n += len(t.Key) + len(t.Value)
	}
	return (n*100 + packedSizeLimit - 1) / packedSizeLimit
}
