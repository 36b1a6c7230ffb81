-- The five private Storage buckets and the policies that keep each user under '<user id>/'.
--
-- Object names always start with the owner's user id (studio_desktop/domain/paths.py):
--   outputs      '<uid>/jobs/<job id>/<output id>.<ext>', Magic Canvas masks and versions
--   profiles     '<uid>/profiles/<profile id>.<ext>'
--   extractions  '<uid>/cutouts/<hash>-<kind>.png'
--   videos       '<uid>/...'   (planned)
--   zips         '<uid>/...'   (planned)
-- so one rule covers every bucket: the first folder of the name is the caller's id.
-- The buckets are private: no anonymous reads, no public URLs; reads go through the API or
-- signed URLs, which the Storage API only signs for an object the caller may select.

INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
VALUES
  ('outputs', 'outputs', false, NULL, ARRAY['image/*']),
  ('profiles', 'profiles', false, NULL, ARRAY['image/*']),
  ('extractions', 'extractions', false, NULL, ARRAY['image/*']),
  ('videos', 'videos', false, NULL, ARRAY['video/*']),
  ('zips', 'zips', false, NULL, ARRAY['application/zip', 'application/x-zip-compressed'])
ON CONFLICT (id) DO NOTHING;

-- Every policy below applies the same predicate: one of the five buckets, and the first folder
-- of the name is the caller's id (NULL for a caller without a user id, which matches nothing).
CREATE POLICY "studio: own folder: select" ON storage.objects FOR SELECT TO authenticated
  USING (
    bucket_id IN ('outputs', 'profiles', 'extractions', 'videos', 'zips')
    AND (storage.foldername(name))[1] = (SELECT auth.uid()::text)
  );
CREATE POLICY "studio: own folder: insert" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (
    bucket_id IN ('outputs', 'profiles', 'extractions', 'videos', 'zips')
    AND (storage.foldername(name))[1] = (SELECT auth.uid()::text)
  );
CREATE POLICY "studio: own folder: update" ON storage.objects FOR UPDATE TO authenticated
  USING (
    bucket_id IN ('outputs', 'profiles', 'extractions', 'videos', 'zips')
    AND (storage.foldername(name))[1] = (SELECT auth.uid()::text)
  )
  WITH CHECK (
    bucket_id IN ('outputs', 'profiles', 'extractions', 'videos', 'zips')
    AND (storage.foldername(name))[1] = (SELECT auth.uid()::text)
  );
CREATE POLICY "studio: own folder: delete" ON storage.objects FOR DELETE TO authenticated
  USING (
    bucket_id IN ('outputs', 'profiles', 'extractions', 'videos', 'zips')
    AND (storage.foldername(name))[1] = (SELECT auth.uid()::text)
  );
