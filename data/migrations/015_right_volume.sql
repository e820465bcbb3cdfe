-- Number 015 belongs to the migration that stores each mining right as a
-- volume (015_right_volume.sql of the 3-D rights change). This tree does
-- not hold that change: the file keeps the numbering whole so that 016
-- applies. It changes nothing; the 3-D rights' file replaces it.
SELECT 1;
