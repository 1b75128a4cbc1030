describe("busy", function()
  it("never yields", function()
    while true do end
  end)
end)
