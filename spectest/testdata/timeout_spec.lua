describe("timeouts", function()
  it("blocks past the timeout", function()
    ngx.sleep(60)
  end)

  it("still runs the next test", function()
    assert.is_true(true)
  end)
end)
