package tenant

import (
	"errors"
	"fmt"

	kjson "sigs.k8s.io/json"
)

// Decode reads one Tenant document (JSON) strictly: a field this version
// does not know, or one given twice, is an error naming it, rather than
// something silently dropped.
func Decode(data []byte) (*Tenant, error) {
	t := &Tenant{}
	strict, err := kjson.UnmarshalStrict(data, t, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	if t.APIVersion != APIVersion || t.Kind != Kind {
		return nil, fmt.Errorf("%s %s is not a tenant: want apiVersion %s, kind %s", t.APIVersion, t.Kind, APIVersion, Kind)
	}
	return t, nil
}
