"""Clinical results: vitals, findings, ICD-10 diagnoses, health classification, timeline."""
