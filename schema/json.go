package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// fileConfig is the JSON configuration file, in Better Auth's vocabulary.
type fileConfig struct {
	UsePlural                bool        `json:"usePlural"`
	Naming                   string      `json:"naming"` // "camelCase" (default) or "snake_case"
	GenerateID               string      `json:"generateId"`
	TimestampWithoutTimeZone bool        `json:"timestampWithoutTimeZone"`
	MigrationsTable          string      `json:"migrationsTable"`
	User                     modelConfig `json:"user"`
	Session                  modelConfig `json:"session"`
	Account                  modelConfig `json:"account"`
	Verification             modelConfig `json:"verification"`
	// Models renames the tables of plugins (Better Auth's
	// jwt({schema: {jwks: {modelName, fields}}})), keyed by model name.
	Models map[string]modelConfig `json:"models"`
	// Plugins names first-party plugins whose tables the file's users
	// need (see JSONPlugins).
	Plugins []string `json:"plugins"`
}

type modelConfig struct {
	ModelName        string                 `json:"modelName"`
	Fields           map[string]string      `json:"fields"`
	AdditionalFields map[string]fieldConfig `json:"additionalFields"`
	// order holds the additionalFields keys in declaration order.
	order []string
}

// UnmarshalJSON decodes a model and remembers the declaration order of
// its additional fields, which becomes their column order, as in Better Auth.
func (m *modelConfig) UnmarshalJSON(raw []byte) error {
	type plain modelConfig
	var p plain
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return err
	}
	if af, ok := parts["additionalFields"]; ok {
		keys, err := objectKeys(af)
		if err != nil {
			return err
		}
		p.order = keys
	}
	*m = modelConfig(p)
	return nil
}

// objectKeys returns the member names of a JSON object in order.
func objectKeys(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil // null or not an object: the typed decode reports it
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

type fieldConfig struct {
	Type         string `json:"type"`
	Required     *bool  `json:"required"` // default true, as in Better Auth
	DefaultValue any    `json:"defaultValue"`
	Unique       bool   `json:"unique"`
	Index        bool   `json:"index"`
	BigInt       bool   `json:"bigint"`
	Input        *bool  `json:"input"`    // default true
	Returned     *bool  `json:"returned"` // default true
	FieldName    string `json:"fieldName"`
}

// ParseJSON reads a schema configuration written in Better Auth's
// words, as the CLI's --config file and examples/basic's
// BETTER_AUTH_SCHEMA take it:
//
//	{"usePlural": false, "naming": "snake_case", "generateId": "uuid",
//	 "user": {"modelName": "members", "fields": {"image": "avatar_url"},
//	          "additionalFields": {"role": {"type": "string", "defaultValue": "member", "input": false}}}}
//
// Additional fields take Better Auth's keys: type, required (default true),
// defaultValue, unique, index, bigint, input and returned (default true),
// fieldName. "models" renames plugins' tables and their columns
// ({"jwks": {"modelName": "jwt_keys", "fields": {"publicKey": "public_key"}}},
// Schema.Models); "plugins" lists first-party plugins by id
// (["jwt"]), which ParseJSON leaves to JSONPlugins. Unknown keys are an
// error. The result is checked as Schema.Layout checks it, except for
// "models", which needs the plugins' extensions (check with
// Layout(ext...)).
func ParseJSON(raw []byte) (Schema, error) {
	var fc fileConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&fc); err != nil {
		return Schema{}, fmt.Errorf("betterauth: schema JSON: %w", err)
	}
	s := Schema{
		UsePlural: fc.UsePlural, TimestampWithoutTimeZone: fc.TimestampWithoutTimeZone,
		MigrationsTable: fc.MigrationsTable,
	}
	switch fc.Naming {
	case "", "camelCase":
	case "snake_case":
		s.Naming = NamingSnakeCase
	default:
		return s, fmt.Errorf("%w: naming %q: want camelCase or snake_case", ErrInvalidSchema, fc.Naming)
	}
	switch fc.GenerateID {
	case "":
	case "uuid":
		s.IDMode = IDModeUUID
	default:
		return s, fmt.Errorf("%w: generateId %q: only \"uuid\" (or nothing) is supported", ErrInvalidSchema, fc.GenerateID)
	}
	for _, m := range []struct {
		src modelConfig
		dst *ModelSchema
	}{{fc.User, &s.User}, {fc.Session, &s.Session}, {fc.Account, &s.Account}, {fc.Verification, &s.Verification}} {
		m.dst.ModelName, m.dst.Fields, m.dst.AdditionalFieldOrder = m.src.ModelName, m.src.Fields, m.src.order
		for name, f := range m.src.AdditionalFields {
			if m.dst.AdditionalFields == nil {
				m.dst.AdditionalFields = map[string]AdditionalField{}
			}
			m.dst.AdditionalFields[name] = AdditionalField{
				Type:         FieldType(f.Type),
				Optional:     f.Required != nil && !*f.Required,
				DefaultValue: f.DefaultValue,
				Unique:       f.Unique,
				Index:        f.Index,
				BigInt:       f.BigInt,
				NoInput:      f.Input != nil && !*f.Input,
				Hidden:       f.Returned != nil && !*f.Returned,
				FieldName:    f.FieldName,
			}
		}
	}
	for name, m := range fc.Models {
		if len(m.AdditionalFields) > 0 {
			return s, fmt.Errorf("%w: models.%s: additionalFields are for user and session only", ErrInvalidSchema, name)
		}
		if s.Models == nil {
			s.Models = map[string]ModelSchema{}
		}
		s.Models[name] = ModelSchema{ModelName: m.ModelName, Fields: m.Fields}
	}
	core := s
	core.Models = nil // plugin models need the plugins' extensions
	if _, err := core.Layout(); err != nil {
		return s, err
	}
	return s, nil
}

// JSONPlugins returns the "plugins" list of a schema configuration (see
// ParseJSON): the ids of first-party plugins, as the CLI resolves them.
func JSONPlugins(raw []byte) ([]string, error) {
	var fc struct {
		Plugins []string `json:"plugins"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		return nil, fmt.Errorf("betterauth: schema JSON: %w", err)
	}
	return fc.Plugins, nil
}
