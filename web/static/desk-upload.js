// The desk's layer upload: sends the form with XMLHttpRequest so that the
// clerk sees the bytes sent against the file's total; the server's answer
// (the summary, or the problems) then replaces the page. Without script the
// form posts as usual.
(function () {
  'use strict';
  const form = document.getElementById('layer-form');
  if (!form || !window.FormData) return;
  const bar = document.getElementById('upload-progress');
  const status = document.getElementById('upload-status');
  const button = document.getElementById('layer-submit');
  const maxBytes = Number(form.dataset.max) * 1024 * 1024;
  const kib = (n) => (n / 1024).toFixed(1) + ' KiB';
  form.addEventListener('submit', function (ev) {
    const file = form.elements.file.files[0];
    if (!file) return;
    ev.preventDefault();
    if (file.size > maxBytes) {
      status.textContent = '文件过大：' + kib(file.size) + '，网页上传不能超过 ' + form.dataset.max + ' MiB。';
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    bar.hidden = false;
    button.disabled = true;
    xhr.upload.onprogress = function (e) {
      const total = e.lengthComputable ? e.total : file.size;
      bar.value = Math.round((e.loaded / total) * 100);
      status.textContent = '已上传 ' + kib(e.loaded) + ' / 共 ' + kib(total) + '（' + bar.value + '%）';
    };
    xhr.upload.onload = function () { status.textContent = '已上传 ' + kib(file.size) + '，正在检查并导入要素……'; };
    xhr.onload = function () {
      if (xhr.responseURL && xhr.responseURL.indexOf('done=') > 0) {
        window.location.assign(xhr.responseURL);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      button.disabled = false;
      status.textContent = '上传中断，请检查网络后重试。';
    };
    xhr.send(new FormData(form));
  });
})();
